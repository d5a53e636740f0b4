using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace StatsApi.Http;

/// <summary>
/// The API's operations answer JSON (application/json, or application/problem+json for an error): a
/// request whose Accept admits neither is answered 406 not_acceptable rather than with a body it said
/// it cannot use. The token service, the metadata documents and the documentation answer the media
/// types their own specifications name, and are left alone.
/// </summary>
internal sealed class NotAcceptable(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext context)
    {
        var accept = context.Request.Headers.Accept;
        // What nearly every client sends, decided without parsing.
        if (accept.Count == 0 || (accept.Count == 1 && accept[0] is "*/*" or "application/json" or "application/problem+json" or "") ||
            !IsJsonOperation(context.GetEndpoint()) || Admits(accept))
        {
            return next(context);
        }
        var problem = Problems.Create(StatusCodes.Status406NotAcceptable, "not_acceptable", "No acceptable representation.",
            $"This operation answers application/json (application/problem+json for errors); Accept admits neither: '{Shorten(accept.ToString())}'.",
            "Send Accept: application/json, or no Accept header.");
        // The problem writer honours Accept too, and would fall back to a bare body: the answer is a problem all the same.
        context.Request.Headers.Accept = "application/problem+json";
        return problem.ExecuteAsync(context);
    }

    private static bool IsJsonOperation(Endpoint? endpoint) =>
        endpoint?.Metadata.GetMetadata<IAuthorizeData>() is not null && endpoint.Metadata.GetMetadata<IAllowAnonymous>() is null;

    /// <summary>Whether any media range of Accept with a weight above 0 covers application/json or application/problem+json.</summary>
    public static bool Admits(StringValues accept)
    {
        if (!MediaTypeHeaderValue.TryParseList(accept, out var ranges))
        {
            // An Accept the service cannot read is ignored, as RFC 9110 section 12.5.1 allows.
            return true;
        }
        return ranges.Any(range => range.Quality is not 0.0 && (range.MatchesAllTypes ||
            range.Type.Equals("application", StringComparison.OrdinalIgnoreCase) && (range.MatchesAllSubTypes ||
                range.SubType.Equals("json", StringComparison.OrdinalIgnoreCase) || range.SubType.Equals("problem+json", StringComparison.OrdinalIgnoreCase))));
    }

    private static string Shorten(string value) => value.Length <= 100 ? value : value[..100] + "...";
}
