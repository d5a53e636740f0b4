using System.Text.Json;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using StatsApi.Tokens;

namespace StatsApi.Auth;

/// <summary>
/// Validates each distinct access token once: a client polling with the same token is not charged an
/// ES256 verification per request. The key is the whole token, so a cached result is reused only for
/// exactly the bytes the signature covered; it lives until the token's exp (five minutes at most) and
/// only while the key that signed it is still trusted. The claims' shapes are checked here too, once per
/// token. What can change after issue (a revocation, the client_secret header) is checked on every
/// request, after this. A token of the built-in service that names a kid this instance has not loaded is
/// validated again once the keys are reloaded.
/// </summary>
internal sealed class CachingTokenHandler : JsonWebTokenHandler, IDisposable
{
    public const int MaxEntries = 20_000;
    private static readonly TimeSpan MaxAge = TimeSpan.FromMinutes(5);

    private readonly MemoryCache _validated = new(new MemoryCacheOptions { SizeLimit = MaxEntries });
    private readonly TimeProvider _time;
    private readonly SigningKeys? _builtInKeys;
    private readonly IOptions<AuthOptions> _auth;

    public CachingTokenHandler(TimeProvider time, SigningKeys keys, IOptions<AuthOptions> auth)
    {
        _time = time;
        _auth = auth;
        _builtInKeys = string.IsNullOrWhiteSpace(auth.Value.Authority) ? keys : null;
        MapInboundClaims = false;
    }

    public override async Task<TokenValidationResult> ValidateTokenAsync(string token, TokenValidationParameters validationParameters)
    {
        var now = _time.GetUtcNow();
        if (_validated.TryGetValue(token, out TokenValidationResult? cached) && cached is not null &&
            cached.SecurityToken.ValidTo > now.UtcDateTime && KeyStillTrusted(token, cached.SecurityToken, validationParameters))
        {
            // The cached identity itself: it refuses changes (SharedIdentity), so no request's reaches another.
            return new TokenValidationResult
            {
                IsValid = true,
                ClaimsIdentity = cached.ClaimsIdentity,
                SecurityToken = cached.SecurityToken,
                TokenType = cached.TokenType,
                Issuer = cached.Issuer,
            };
        }
        var result = await base.ValidateTokenAsync(token, validationParameters);
        if (result.Exception is SecurityTokenSignatureKeyNotFoundException && _builtInKeys is not null &&
            ReadJsonWebToken(token).Kid is { } kid && await _builtInKeys.LoadIfUnknownAsync(kid))
        {
            result = await base.ValidateTokenAsync(token, validationParameters);
        }
        if (result.IsValid && ShapeError(result.SecurityToken) is { } shapeError)
        {
            return new TokenValidationResult { IsValid = false, Exception = new TokenClaimShapeException(shapeError) };
        }
        if (result.IsValid && result.SecurityToken.ValidTo > now.UtcDateTime)
        {
            result.ClaimsIdentity = new SharedIdentity(result.ClaimsIdentity);
            var until = new DateTimeOffset(result.SecurityToken.ValidTo, TimeSpan.Zero);
            _validated.Set(token, result, new MemoryCacheEntryOptions
            {
                AbsoluteExpiration = until < now + MaxAge ? until : now + MaxAge,
                Size = 1,
            });
        }
        return result;
    }

    private string? ShapeError(SecurityToken token)
    {
        if (token is not JsonWebToken jwt)
        {
            return "The token is not a JWS.";
        }
        using var payload = JsonDocument.Parse(Base64UrlEncoder.DecodeBytes(jwt.EncodedPayload));
        return ClaimShapes.ErrorOf(payload.RootElement, _auth.Value);
    }

    // A key retired from the JWKS (or the provider's) since the token was verified takes its tokens with it.
    private static bool KeyStillTrusted(string token, SecurityToken verified, TokenValidationParameters parameters)
    {
        var kid = (verified as JsonWebToken)?.Kid;
        var keys = parameters.IssuerSigningKeyResolver?.Invoke(token, verified, kid, parameters) ?? parameters.IssuerSigningKeys ?? [];
        return kid is not null && keys.Any(k => k.KeyId == kid);
    }

    public void Dispose() => _validated.Dispose();
}
