namespace StatsApi.Auth;

internal sealed class AuthOptions
{
    /// <summary>The claims that can carry scopes, each with the shape its providers give it.</summary>
    public static IReadOnlyList<string> ScopeClaims { get; } = ["scope", "scp", "roles"];

    /// <summary>The issuer whose tokens are accepted; by default the built-in token service's own.</summary>
    public string Issuer { get; set; } = "https://localhost:5443";

    public string Audience { get; set; } = "statsapi";

    /// <summary>An external OpenID Connect provider (Auth0, Keycloak, Entra ID) whose JWKS validates tokens.</summary>
    public string? Authority { get; set; }

    /// <summary>Signature algorithms accepted; never "none" and never a symmetric one.</summary>
    public string[]? Algorithms { get; set; }

    /// <summary>
    /// The typ headers accepted on access tokens: at+jwt (RFC 9068) unless an external provider's tokens
    /// say otherwise (Keycloak and Entra ID: JWT).
    /// </summary>
    public string[]? TokenTypes { get; set; }

    /// <summary>scope (RFC 9068, space-delimited), scp (a string or an array) or roles (an array: Entra ID's application permissions).</summary>
    public string ScopeClaim { get; set; } = "scope";

    /// <summary>The claim holding the approved schools as an array of strings.</summary>
    public string SchoolsClaim { get; set; } = "schools";

    public int ClockSkewSeconds { get; set; } = 30;

    /// <summary>How often each instance reloads revocations: the bound on how long a revoked token still works.</summary>
    public int RevocationRefreshSeconds { get; set; } = 15;

    /// <summary>Honour X-Claim-Schools from a gateway in front (it can only narrow the token's schools).</summary>
    public bool TrustGatewaySchoolsHeader { get; set; }

    public IReadOnlyList<string> AcceptedAlgorithms => Algorithms is { Length: > 0 } ? Algorithms : ["ES256", "RS256"];

    public IReadOnlyList<string> AcceptedTokenTypes => TokenTypes is { Length: > 0 } ? TokenTypes : ["at+jwt", "application/at+jwt"];
}
