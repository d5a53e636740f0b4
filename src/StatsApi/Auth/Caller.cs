using System.Security.Claims;
using Microsoft.Extensions.Options;

namespace StatsApi.Auth;

/// <summary>What a validated token lets its bearer reach.</summary>
public static class Caller
{
    public const string GatewaySchoolsHeader = "X-Claim-Schools";

    // scope per RFC 9068; scp as Entra ID and some other providers name it.
    public static IReadOnlySet<string> Scopes(ClaimsPrincipal user) =>
        user.FindAll(c => c.Type is "scope" or "scp").SelectMany(c => c.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToHashSet(StringComparer.Ordinal);

    /// <summary>
    /// The token's schools, narrowed by a trusted gateway's X-Claim-Schools header; the header can
    /// never add a school the token lacks.
    /// </summary>
    public static IReadOnlySet<string> Schools(HttpContext context)
    {
        var schools = context.User.FindAll("schools").Select(c => c.Value).ToHashSet(StringComparer.Ordinal);
        var trustGateway = context.RequestServices.GetRequiredService<IOptions<AuthOptions>>().Value.TrustGatewaySchoolsHeader;
        if (trustGateway && context.Request.Headers.TryGetValue(GatewaySchoolsHeader, out var forwarded))
        {
            var allowed = forwarded.SelectMany(v => (v ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
            schools.IntersectWith(allowed);
        }
        return schools;
    }
}
