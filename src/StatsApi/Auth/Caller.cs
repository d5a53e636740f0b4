using System.Security.Claims;
using Microsoft.Extensions.Options;

namespace StatsApi.Auth;

/// <summary>What a validated token lets its bearer reach.</summary>
internal static class Caller
{
    public const string GatewaySchoolsHeader = "X-Claim-Schools";

    /// <summary>The scopes in the claim the provider puts them in (Auth:ScopeClaim); no other claim grants any.</summary>
    public static IReadOnlySet<string> Scopes(ClaimsPrincipal user, AuthOptions auth) =>
        user.FindAll(auth.ScopeClaim).SelectMany(c => c.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToHashSet(StringComparer.Ordinal);

    /// <summary>
    /// The token's schools, narrowed by a trusted gateway's X-Claim-Schools header; the header can
    /// never add a school the token lacks.
    /// </summary>
    public static IReadOnlySet<string> Schools(HttpContext context)
    {
        var auth = context.RequestServices.GetRequiredService<IOptions<AuthOptions>>().Value;
        var schools = context.User.FindAll(auth.SchoolsClaim).Select(c => c.Value).ToHashSet(StringComparer.Ordinal);
        if (auth.TrustGatewaySchoolsHeader && context.Request.Headers.TryGetValue(GatewaySchoolsHeader, out var forwarded))
        {
            var allowed = forwarded.SelectMany(v => (v ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
            schools.IntersectWith(allowed);
        }
        return schools;
    }

    /// <summary>The client the token was issued to: client_id (RFC 9068), or azp from providers that use it.</summary>
    public static string ClientId(ClaimsPrincipal user) =>
        user.FindFirst("client_id")?.Value ?? user.FindFirst("azp")?.Value ?? "";

    /// <summary>The person a token acts for (a token with a role names its user as sub); null for a client's own token.</summary>
    public static long? PersonId(ClaimsPrincipal user) =>
        user.FindFirst("role") is not null && long.TryParse(user.FindFirst("sub")?.Value, out var id) ? id : null;
}
