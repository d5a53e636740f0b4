using Microsoft.Extensions.Options;
using System.Text.RegularExpressions;

namespace StatsApi.Auth;

internal sealed partial class AuthOptionsValidation : IValidateOptions<AuthOptions>
{
    /// <summary>Asymmetric signatures only: never "none", and never HS*, whose key every validator would share.</summary>
    public static readonly IReadOnlyList<string> Asymmetric = ["ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512"];

    public ValidateOptionsResult Validate(string? name, AuthOptions options)
    {
        var failures = new List<string>();
        if (!IsHttpsUrl(options.Issuer, allowLoopbackHttp: true))
        {
            failures.Add($"Auth:Issuer must be an absolute https URL (http only for localhost), such as https://statsapi.example.org, not '{options.Issuer}'.");
        }
        if (string.IsNullOrWhiteSpace(options.Audience))
        {
            failures.Add("Auth:Audience must not be empty.");
        }
        if (!string.IsNullOrWhiteSpace(options.Authority) && !IsHttpsUrl(options.Authority, allowLoopbackHttp: false))
        {
            failures.Add($"Auth:Authority must be an absolute https URL, such as https://login.example.org/realm, not '{options.Authority}'.");
        }
        foreach (var algorithm in options.Algorithms ?? [])
        {
            if (!Asymmetric.Contains(algorithm, StringComparer.Ordinal))
            {
                failures.Add($"Auth:Algorithms: '{algorithm}' is not accepted; only {string.Join(", ", Asymmetric)}.");
            }
        }
        if (options.ClockSkewSeconds is < 0 or > 30)
        {
            failures.Add($"Auth:ClockSkewSeconds must be between 0 and 30, not {options.ClockSkewSeconds}.");
        }
        if (options.RevocationRefreshSeconds is < 1 or > 60)
        {
            failures.Add($"Auth:RevocationRefreshSeconds must be between 1 and 60, not {options.RevocationRefreshSeconds}.");
        }
        // The claim names appear in 401 bodies and the WWW-Authenticate header, so they are plain tokens.
        if (!AuthOptions.ScopeClaims.Contains(options.ScopeClaim))
        {
            failures.Add($"Auth:ScopeClaim must be one of {string.Join(", ", AuthOptions.ScopeClaims)}.");
        }
        if (!PlainToken().IsMatch(options.SchoolsClaim))
        {
            failures.Add("Auth:SchoolsClaim must be a claim name of letters, digits and . _ : -.");
        }
        if (options.TokenTypes?.Any(t => !PlainToken().IsMatch(t ?? "")) == true)
        {
            failures.Add("Auth:TokenTypes must be typ values such as at+jwt or JWT.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static bool IsHttpsUrl(string? value, bool allowLoopbackHttp) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Query.Length == 0 && uri.Fragment.Length == 0 &&
        (uri.Scheme == Uri.UriSchemeHttps || (allowLoopbackHttp && uri.Scheme == Uri.UriSchemeHttp && uri.IsLoopback));

    [GeneratedRegex("^[A-Za-z0-9._:+-]{1,64}\\z")]
    private static partial Regex PlainToken();
}
