using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using StatsApi.Auth;
using StatsApi.Clients;
using StatsApi.Tokens;
using StatsApi.Telemetry;
using StatsApi.PersonTokens;

namespace StatsApi.OAuth;

internal sealed record IssuedToken(string AccessToken, int ExpiresIn, string Scope);

/// <summary>Mints the access tokens (RFC 9068 JWTs) that the resource server accepts.</summary>
internal sealed class TokenIssuer(SigningKeys keys, IOptions<AuthOptions> auth, IOptions<TokenOptions> tokens, TimeProvider time)
{
    private static readonly JsonWebTokenHandler Handler = new() { SetDefaultTimesOnTokenCreation = false };

    public Task<IssuedToken> IssueAsync(ApiClient client, IReadOnlyList<string> scopes, CancellationToken cancellationToken = default) =>
        IssueAsync(client, scopes, signingKey: null, cancellationToken);

    /// <summary>A client's own token, signed with the key read together with the client when that was done (else read now).</summary>
    public Task<IssuedToken> IssueAsync(ApiClient client, IReadOnlyList<string> scopes, StoredSigningKey? signingKey, CancellationToken cancellationToken = default) =>
        IssueAsync(StatsApiMetrics.ClientCredentials, client.ClientId, client, client.Schools, scopes,
            TimeSpan.FromMinutes(tokens.Value.LifetimeMinutes), [], signingKey, cancellationToken);

    /// <summary>A token that acts for a person through a client: sub is the person, role theirs, schools theirs within the client's.</summary>
    public Task<IssuedToken> IssueForPersonAsync(ApiClient client, Person person, IReadOnlyList<string> schools, IReadOnlyList<string> scopes,
        string secretBinding, CancellationToken cancellationToken = default) =>
        IssueAsync(StatsApiMetrics.PersonExchange, person.UserId.ToString(System.Globalization.CultureInfo.InvariantCulture), client, schools, scopes,
            TimeSpan.FromMinutes(tokens.Value.PersonLifetimeMinutes),
            new Dictionary<string, object>
            {
                [PersonClaims.Role] = person.Role,
                [PersonClaims.ApiToken] = person.TokenId.ToString(System.Globalization.CultureInfo.InvariantCulture),
                [PersonClaims.ClientSecretBinding] = secretBinding,
                [Revocations.PersonGenerationClaim] = person.Generation,
            },
            signingKey: null, cancellationToken);

    private async Task<IssuedToken> IssueAsync(string grant, string subject, ApiClient client, IReadOnlyList<string> schools, IReadOnlyList<string> scopes, TimeSpan lifetime,
        Dictionary<string, object> extra, StoredSigningKey? signingKey, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var scope = string.Join(' ', scopes);
        var claims = new Dictionary<string, object>(extra)
        {
            ["sub"] = subject,
            ["client_id"] = client.ClientId,
            ["tier"] = client.Tier,
            ["schools"] = schools,
            ["scope"] = scope,
            ["jti"] = Guid.NewGuid().ToString("N"),
            [Revocations.ClientGenerationClaim] = client.Generation,
        };
        var token = Handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = auth.Value.Issuer,
            Audience = auth.Value.Audience,
            IssuedAt = now,
            NotBefore = now,
            Expires = now + lifetime,
            TokenType = "at+jwt",
            SigningCredentials = signingKey is null ? await keys.GetSigningCredentialsAsync(cancellationToken) : await keys.CredentialsOfAsync(signingKey, cancellationToken),
            Claims = claims,
        });
        StatsApiMetrics.TokenIssued(grant);
        return new IssuedToken(token, (int)lifetime.TotalSeconds, scope);
    }
}
