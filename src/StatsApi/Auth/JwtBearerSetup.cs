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
public sealed class JwtBearerSetup(IOptions<AuthOptions> authOptions, SigningKeys signingKeys, ILogger<JwtBearerSetup> logger)
    : IConfigureNamedOptions<JwtBearerOptions>
{
    public void Configure(string? name, JwtBearerOptions options) => Configure(options);

    public void Configure(JwtBearerOptions options)
    {
        var auth = authOptions.Value;
        options.MapInboundClaims = false;
        options.IncludeErrorDetails = false;
        options.TokenValidationParameters = new TokenValidationParameters
        {
            ValidIssuer = auth.Issuer,
            ValidAudience = auth.Audience,
            ValidAlgorithms = auth.AcceptedAlgorithms,
            ValidTypes = ["at+jwt", "application/at+jwt"],
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
            {
                var matching = signingKeys.ValidationKeys.Where(k => k.Kid == kid).ToList();
                if (matching.Count == 0 && kid is not null)
                {
                    signingKeys.RefreshSoon();
                }
                return matching;
            };
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
    private static Task CheckClaimShapes(TokenValidatedContext context)
    {
        if (context.SecurityToken is not JsonWebToken jwt)
        {
            context.Fail(new TokenClaimShapeException("The token is not a JWS."));
            return Task.CompletedTask;
        }
        using var payload = JsonDocument.Parse(Base64UrlEncoder.DecodeBytes(jwt.EncodedPayload));
        var root = payload.RootElement;
        if (root.TryGetProperty("schools", out var schools) &&
            (schools.ValueKind != JsonValueKind.Array || schools.EnumerateArray().Any(s => s.ValueKind != JsonValueKind.String)))
        {
            context.Fail(new TokenClaimShapeException("The schools claim must be an array of strings."));
        }
        else if (root.TryGetProperty("scope", out var scope) && scope.ValueKind != JsonValueKind.String)
        {
            context.Fail(new TokenClaimShapeException("The scope claim must be a space-delimited string."));
        }
        else if (root.TryGetProperty("scp", out var scp) && scp.ValueKind != JsonValueKind.String &&
            (scp.ValueKind != JsonValueKind.Array || scp.EnumerateArray().Any(s => s.ValueKind != JsonValueKind.String)))
        {
            context.Fail(new TokenClaimShapeException("The scp claim must be a string or an array of strings."));
        }
        else if (!HasString(root, "client_id") && !HasString(root, "azp"))
        {
            // Rate limits and audit name the client: client_id (RFC 9068), or azp from providers that use it.
            context.Fail(new TokenClaimShapeException("The client_id claim is required."));
        }
        return Task.CompletedTask;
    }

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
