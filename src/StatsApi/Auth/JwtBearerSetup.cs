using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using StatsApi.Http;
using StatsApi.Tokens;

namespace StatsApi.Auth;

/// <summary>How the resource server validates access tokens.</summary>
internal sealed class JwtBearerSetup(IOptions<AuthOptions> authOptions, SigningKeys signingKeys, Revocations revocations, CachingTokenHandler tokenHandler,
    TimeProvider time, ILogger<JwtBearerSetup> logger)
    : IConfigureNamedOptions<JwtBearerOptions>
{
    public void Configure(string? name, JwtBearerOptions options) => Configure(options);

    // IdentityModel's own check reads the machine's clock; this one reads the service's, the clock that issues
    // tokens, sweeps revocations and ends cached validations, so that a token expires at one instant everywhere.
    // Each refusal throws IdentityModel's exception of that kind, so the answer names it as before.
    private bool Lifetime(DateTime? notBefore, DateTime? expires, SecurityToken token, TokenValidationParameters parameters)
    {
        var now = time.GetUtcNow().UtcDateTime;
        if (expires is not { } exp)
        {
            throw new SecurityTokenNoExpirationException("The token has no expiration time.");
        }
        if (notBefore is { } nbf && nbf > exp)
        {
            throw new SecurityTokenInvalidLifetimeException("The token's nbf is after its exp.") { NotBefore = nbf, Expires = exp };
        }
        if (notBefore is { } early && early > now + parameters.ClockSkew)
        {
            throw new SecurityTokenNotYetValidException("The token is not valid yet.") { NotBefore = early };
        }
        if (exp < now - parameters.ClockSkew)
        {
            throw new SecurityTokenExpiredException("The token has expired.") { Expires = exp };
        }
        return true;
    }

    public void Configure(JwtBearerOptions options)
    {
        var auth = authOptions.Value;
        options.MapInboundClaims = false;
        options.TokenHandlers.Clear();
        options.TokenHandlers.Add(tokenHandler);
        options.IncludeErrorDetails = false;
        options.TokenValidationParameters = new TokenValidationParameters
        {
            ValidIssuer = auth.Issuer,
            ValidAudience = auth.Audience,
            ValidAlgorithms = auth.AcceptedAlgorithms,
            ValidTypes = auth.AcceptedTokenTypes,
            ValidateIssuer = true,
            ValidateAudience = true,
            ValidateLifetime = true,
            ValidateIssuerSigningKey = true,
            RequireExpirationTime = true,
            RequireSignedTokens = true,
            ClockSkew = TimeSpan.FromSeconds(Math.Clamp(auth.ClockSkewSeconds, 0, 30)),
            LifetimeValidator = Lifetime,
            NameClaimType = "sub",
            RoleClaimType = "role",
        };

        if (string.IsNullOrWhiteSpace(auth.Authority))
        {
            // Keys come only from the built-in JWKS held in memory: never from a token's jku, x5u or jwk header,
            // and no database trip per request.
            options.TokenValidationParameters.TryAllIssuerSigningKeys = false;
            options.TokenValidationParameters.IssuerSigningKeyResolver = (_, _, kid, _) =>
                signingKeys.ValidationKeys.Where(k => k.Kid == kid).ToList();
        }
        else
        {
            options.Authority = auth.Authority;
            options.RequireHttpsMetadata = true;
        }

        options.Events = new JwtBearerEvents
        {
            OnMessageReceived = ReadToken,
            OnTokenValidated = CheckWhatChangesAfterIssue,
            OnChallenge = WriteChallengeAsync,
        };
    }

    // Bearer (RFC 6750) and the Open edX scheme "JWT <token>". A prefix test, not a header parse: this
    // runs on every request, and the parse was a twentieth of a refused request's time.
    private static Task ReadToken(MessageReceivedContext context)
    {
        var header = context.Request.Headers.Authorization;
        if (header.Count == 1 && header[0] is { Length: > 4 } value && value.StartsWith("JWT ", StringComparison.OrdinalIgnoreCase))
        {
            context.Token = value[4..].Trim();
        }
        return Task.CompletedTask;
    }

    // The claims' shapes were checked once per token when it was validated (CachingTokenHandler); what can
    // change after issue is checked on every request.
    private Task CheckWhatChangesAfterIssue(TokenValidatedContext context)
    {
        if (string.IsNullOrWhiteSpace(authOptions.Value.Authority) && RefusalOfBuiltIn(context) is { } refusal)
        {
            context.Fail(refusal);
        }
        return Task.CompletedTask;
    }

    // The built-in service's tokens also answer for what they came from, as this instance last read it.
    private TokenRefusedException? RefusalOfBuiltIn(TokenValidatedContext context)
    {
        var user = context.Principal!;
        if (revocations.RevokedPart(user) is { } part)
        {
            return new TokenRefusedException("revoked", "token_revoked", $"The access token's {part} was revoked after it was issued; request a new token.");
        }
        // Edunation's flow: a token that acts for a person is used together with its client's secret.
        if (user.FindFirst(PersonClaims.Role) is not null && !PersonClaims.SecretMatches(
                context.Request.Headers[PersonClaims.ClientSecretHeader].ToString(),
                user.FindFirst(PersonClaims.ClientSecretBinding)?.Value))
        {
            return new TokenRefusedException("client_secret", "invalid_client_secret",
                "A token that acts for a person must be sent with the client_secret header it was exchanged with.");
        }
        return null;
    }

    private async Task WriteChallengeAsync(JwtBearerChallengeContext context)
    {
        context.HandleResponse();
        var response = context.Response;
        var failure = context.AuthenticateFailure is { } error ? TokenFailure.From(error) : null;
        if (failure is not null)
        {
            // IdentityModel's message names the check that failed; it hides token contents unless ShowPII is on, which it never is here.
            logger.LogInformation("Access token refused ({FailureKind}): {Reason}", failure.Kind, context.AuthenticateFailure!.Message);
        }
        var detail = failure?.Description ?? MissingToken;

        // RFC 6750 section 3: no error code when the request carried no token at all.
        response.Headers.WWWAuthenticate = failure is not null
            ? $"{Challenges.Bearer}, error=\"invalid_token\", error_description=\"{detail}\""
            : Challenges.Bearer;
        response.StatusCode = StatusCodes.Status401Unauthorized;
        var problem = failure is null ? MissingTokenBody
            : new ProblemBody(StatusCodes.Status401Unauthorized, failure.ErrorCode, AuthenticationRequired, detail);
        await problem.WriteAsync(context.HttpContext);
    }

    private const string MissingToken = "This operation needs an access token: send 'Authorization: Bearer <token>'.";
    private const string AuthenticationRequired = "Authentication is required.";
    private static readonly ProblemBody MissingTokenBody =
        new(StatusCodes.Status401Unauthorized, "missing_token", AuthenticationRequired, MissingToken);
}
