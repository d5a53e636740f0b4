namespace StatsApi.Auth;

public sealed class AuthOptions
{
    /// <summary>The issuer whose tokens are accepted; by default the built-in token service's own.</summary>
    public string Issuer { get; set; } = "https://localhost:5443";

    public string Audience { get; set; } = "statsapi";

    /// <summary>An external OpenID Connect provider (Auth0, Keycloak, Entra ID) whose JWKS validates tokens.</summary>
    public string? Authority { get; set; }

    /// <summary>Signature algorithms accepted; never "none" and never a symmetric one.</summary>
    public string[]? Algorithms { get; set; }

    public int ClockSkewSeconds { get; set; } = 30;

    /// <summary>Honour X-Claim-Schools from a gateway in front (it can only narrow the token's schools).</summary>
    public bool TrustGatewaySchoolsHeader { get; set; }

    public IReadOnlyList<string> AcceptedAlgorithms => Algorithms is { Length: > 0 } ? Algorithms : ["ES256", "RS256"];
}
