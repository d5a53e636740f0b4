using System.Collections.Concurrent;
using System.Text.RegularExpressions;

namespace StatsApi.Tests.Infrastructure;

/// <summary>
/// Which operations of openapi.yaml a test's requests reached and the service answered with success: a
/// request counts for the operation whose path template it matches, the one with the most literal
/// segments where several do (/changes/available before /changes/{…}).
/// </summary>
public sealed class ExercisedOperations(ContractDocument contract)
{
    private readonly IReadOnlyList<ContractOperation> _all = contract.Operations;

    private readonly (ContractOperation Operation, Regex Pattern, int Literals)[] _templates = [.. contract.Operations.Select(o => (
        o,
        new Regex("^" + Regex.Replace(Regex.Escape(o.Path), @"\\\{[^/]+?}", "[^/]+") + "$", RegexOptions.CultureInvariant),
        o.Path.Split('/').Count(segment => !segment.StartsWith('{'))))];

    private readonly ConcurrentDictionary<string, byte> _succeeded = new(StringComparer.Ordinal);

    public IReadOnlyList<ContractOperation> All => _all;

    /// <summary>The operations no request has succeeded with yet.</summary>
    public IEnumerable<ContractOperation> Missed => _all.Where(o => !_succeeded.ContainsKey(o.Id));

    /// <summary>A handler for one HTTP client, counting its successful requests.</summary>
    public DelegatingHandler Handler() => new Counting(this);

    private void Record(HttpMethod method, string path)
    {
        var match = _templates.Where(t => t.Operation.Method == method.Method && t.Pattern.IsMatch(path))
            .OrderByDescending(t => t.Literals).Select(t => t.Operation).FirstOrDefault();
        if (match is not null)
        {
            _succeeded.TryAdd(match.Id, 0);
        }
    }

    private sealed class Counting(ExercisedOperations exercised) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            if (response.IsSuccessStatusCode)
            {
                exercised.Record(request.Method, request.RequestUri!.AbsolutePath);
            }
            return response;
        }
    }
}
