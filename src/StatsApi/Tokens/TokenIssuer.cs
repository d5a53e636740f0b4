using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using StatsApi.Auth;

namespace StatsApi.Tokens;

public sealed record IssuedToken(string AccessToken, int ExpiresIn, string Scope);

/// <summary>Mints the access tokens (RFC 9068 JWTs) that the resource server accepts.</summary>
public sealed class TokenIssuer(SigningKeys keys, IOptions<AuthOptions> auth, IOptions<TokenOptions> tokens, TimeProvider time)
{
    private static readonly JsonWebTokenHandler Handler = new() { SetDefaultTimesOnTokenCreation = false };

    public async Task<IssuedToken> IssueAsync(ApiClient client, IReadOnlyList<string> scopes, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var lifetime = TimeSpan.FromMinutes(tokens.Value.LifetimeMinutes);
        var scope = string.Join(' ', scopes);
        var token = Handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = auth.Value.Issuer,
            Audience = auth.Value.Audience,
            IssuedAt = now,
            NotBefore = now,
            Expires = now + lifetime,
            TokenType = "at+jwt",
            SigningCredentials = await keys.GetSigningCredentialsAsync(cancellationToken),
            Claims = new Dictionary<string, object>
            {
                ["sub"] = client.ClientId,
                ["client_id"] = client.ClientId,
                ["tier"] = client.Tier,
                ["schools"] = client.Schools,
                ["scope"] = scope,
                ["jti"] = Guid.NewGuid().ToString("N"),
            },
        });
        return new IssuedToken(token, (int)lifetime.TotalSeconds, scope);
    }
}
