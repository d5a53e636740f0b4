using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using StatsApi.Http;
using StatsApi.Tokens;

namespace StatsApi.Auth;

/// <summary>How the resource server validates access tokens.</summary>
public sealed class JwtBearerSetup(IOptions<AuthOptions> authOptions, SigningKeys signingKeys, Revocations revocations, CachingTokenHandler tokenHandler,
    ILogger<JwtBearerSetup> logger)
    : IConfigureNamedOptions<JwtBearerOptions>
{
    public void Configure(string? name, JwtBearerOptions options) => Configure(options);

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
            OnTokenValidated = CheckClaimShapes,
            OnChallenge = WriteChallengeAsync,
        };
    }

    // Bearer (RFC 6750) and the Open edX scheme "JWT <token>".
    private static Task ReadToken(MessageReceivedContext context)
    {
        if (AuthenticationHeaderValue.TryParse(context.Request.Headers.Authorization, out var header) &&
            header.Scheme.Equals("JWT", StringComparison.OrdinalIgnoreCase))
        {
            context.Token = header.Parameter;
        }
        return Task.CompletedTask;
    }

    // A signature proves who made a token, not that its claims have the shapes authorization relies on.
    private Task CheckClaimShapes(TokenValidatedContext context)
    {
        if (context.SecurityToken is not JsonWebToken jwt)
        {
            context.Fail(new TokenClaimShapeException("The token is not a JWS."));
            return Task.CompletedTask;
        }
        using var payload = JsonDocument.Parse(Base64UrlEncoder.DecodeBytes(jwt.EncodedPayload));
        if (ClaimShapeError(payload.RootElement, authOptions.Value) is { } error)
        {
            context.Fail(new TokenClaimShapeException(error));
        }
        else if (string.IsNullOrWhiteSpace(authOptions.Value.Authority) && RefusalOfBuiltIn(context) is { } refusal)
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
        if (user.FindFirst(PersonTokens.PersonClaims.Role) is not null && !PersonTokens.PersonClaims.SecretMatches(
                context.Request.Headers[PersonTokens.PersonTokenExchange.ClientSecretHeader].ToString(),
                user.FindFirst(PersonTokens.PersonClaims.ClientSecretBinding)?.Value))
        {
            return new TokenRefusedException("client_secret", "invalid_client_secret",
                "A token that acts for a person must be sent with the client_secret header it was exchanged with.");
        }
        return null;
    }

    private static string? ClaimShapeError(JsonElement payload, AuthOptions auth)
    {
        if (payload.TryGetProperty(auth.SchoolsClaim, out var schools) && !IsArrayOf(schools, _ => true))
        {
            return $"The {auth.SchoolsClaim} claim must be an array of strings.";
        }
        if (payload.TryGetProperty(auth.ScopeClaim, out var scopes))
        {
            // Scopes are split on spaces, so an array entry must be a single scope or it would grant several.
            var isString = scopes.ValueKind == JsonValueKind.String;
            var isArray = IsArrayOf(scopes, s => !s.Any(char.IsWhiteSpace));
            var error = auth.ScopeClaim switch
            {
                "scope" when !isString => "The scope claim must be a space-delimited string.",
                "scp" when !isString && !isArray => "The scp claim must be a space-delimited string or an array of single scopes.",
                "roles" when !isArray => "The roles claim must be an array of single scopes.",
                _ => null,
            };
            if (error is not null)
            {
                return error;
            }
        }
        // Rate limits and audit name the client: client_id (RFC 9068), azp (Keycloak, Entra ID v2) or appid (Entra ID v1).
        return HasString(payload, "client_id") || HasString(payload, "azp") || HasString(payload, "appid")
            ? null
            : "The token names no client: client_id, azp or appid is required.";
    }

    private static bool IsArrayOf(JsonElement value, Func<string, bool> isValid) =>
        value.ValueKind == JsonValueKind.Array &&
        value.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String && isValid(e.GetString()!));

    private static bool HasString(JsonElement payload, string claim) =>
        payload.TryGetProperty(claim, out var value) && value.ValueKind == JsonValueKind.String;

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
        var detail = failure?.Description ?? "This operation needs an access token: send 'Authorization: Bearer <token>'.";

        // RFC 6750 section 3: no error code when the request carried no token at all.
        response.Headers.WWWAuthenticate = failure is not null
            ? $"Bearer realm=\"statsapi\", error=\"invalid_token\", error_description=\"{detail}\""
            : "Bearer realm=\"statsapi\"";
        response.StatusCode = StatusCodes.Status401Unauthorized;
        var problem = Problems.Create(
            StatusCodes.Status401Unauthorized,
            failure?.ErrorCode ?? "missing_token",
            "Authentication is required.",
            detail);
        await problem.ExecuteAsync(context.HttpContext);
    }
}
