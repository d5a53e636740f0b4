using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Microsoft.Extensions.Options;
using StatsApi.Auth;
using StatsApi.RateLimiting;

namespace StatsApi.Tokens;

public static class TokenEndpoints
{
    public static IEndpointRouteBuilder MapTokenService(this IEndpointRouteBuilder routes)
    {
        if (!routes.ServiceProvider.GetRequiredService<IOptions<TokenOptions>>().Value.Enabled)
        {
            return routes;
        }
        var oauth = routes.MapGroup("").WithTags("Token service").AllowAnonymous().DisableAntiforgery();

        MapIssue(oauth, "/oauth/token", edxCompatible: false)
            .WithName("IssueToken")
            .WithSummary("Exchange client credentials for an access token")
            .WithDescription("OAuth 2.0 client credentials grant (RFC 6749 section 4.4). Authenticate with HTTP Basic or with client_id and client_secret in the body. The token is a signed JWT (RFC 9068) valid for an hour by default.");
        MapIssue(oauth, "/oauth2/v1/access_token", edxCompatible: true)
            .WithName("IssueTokenEdx")
            .WithSummary("Exchange client credentials for an access token (Open edX form)")
            .WithDescription("The Open edX-compatible token endpoint: with token_type=jwt the response's token_type is \"JWT\", and the token may be sent as 'Authorization: JWT <token>'.");

        oauth.MapGet("/.well-known/jwks.json", GetJwks)
            .WithName("GetJwks")
            .WithSummary("The public keys that verify access tokens (RFC 7517)");

        oauth.MapGet("/.well-known/openid-configuration", GetMetadata)
            .WithName("GetOpenIdConfiguration")
            .WithSummary("Authorization server metadata (RFC 8414)");
        oauth.MapGet("/.well-known/oauth-authorization-server", GetMetadata)
            .WithName("GetAuthorizationServerMetadata")
            .WithSummary("Authorization server metadata (RFC 8414)");
        return routes;
    }

    private static RouteHandlerBuilder MapIssue(RouteGroupBuilder group, string path, bool edxCompatible) =>
        group.MapPost(path, (HttpContext http, ApiClients clients, TokenIssuer issuer, IOptions<AuthOptions> auth, Npgsql.NpgsqlDataSource dataSource) =>
                PersonTokens.PersonTokenExchange.Applies(http.Request)
                    ? PersonTokens.PersonTokenExchange.IssueAsync(http, clients, issuer, dataSource)
                    : IssueAsync(http, clients, issuer, auth.Value, edxCompatible))
            .LimitFailedAttempts()
            .AddOpenApiOperationTransformer(DescribeTokenRequestAsync)
            .Produces<TokenResponse>()
            .Produces<OAuthError>(StatusCodes.Status400BadRequest)
            .Produces<OAuthError>(StatusCodes.Status401Unauthorized)
            .Produces<OAuthError>(StatusCodes.Status413PayloadTooLarge);

    // Documented here rather than with Accepts(): that would turn a wrong content type into a bare 415,
    // where RFC 6749 wants an invalid_request error body.
    private static async Task DescribeTokenRequestAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var schema = await context.GetOrCreateSchemaAsync(typeof(TokenRequestBody), cancellationToken: cancellationToken);
        operation.RequestBody = new OpenApiRequestBody
        {
            Required = true,
            Content = new Dictionary<string, OpenApiMediaType>
            {
                ["application/x-www-form-urlencoded"] = new() { Schema = schema },
                ["application/json"] = new() { Schema = schema },
            },
        };
    }

    private static async Task<IResult> IssueAsync(HttpContext http, ApiClients clients, TokenIssuer issuer, AuthOptions auth, bool edxCompatible)
    {
        // RFC 6749 section 5.1: token responses must never be cached.
        http.Response.Headers.CacheControl = "no-store";
        http.Response.Headers.Pragma = "no-cache";

        var (request, failure) = await TokenRequest.ReadAsync(http.Request);
        if (request is null)
        {
            return Error(http, failure!);
        }
        if (string.IsNullOrEmpty(request.ClientId) || string.IsNullOrEmpty(request.ClientSecret))
        {
            return InvalidClient(http, request.ClientId, "Client authentication is required: HTTP Basic, or client_id and client_secret in the body.");
        }
        var client = await clients.AuthenticateAsync(request.ClientId, request.ClientSecret, http.RequestAborted);
        if (client is null)
        {
            return InvalidClient(http, request.ClientId, "The client is unknown, revoked, or the secret is wrong.");
        }

        var grantType = request["grant_type"];
        if (string.IsNullOrEmpty(grantType))
        {
            return Error(http, OAuthFailure.InvalidRequest("grant_type is required."));
        }
        if (grantType != "client_credentials")
        {
            return Error(http, new OAuthFailure(StatusCodes.Status400BadRequest, "unsupported_grant_type", "Only grant_type=client_credentials is supported."));
        }
        var audience = request["audience"];
        if (audience is not null && audience != auth.Audience)
        {
            return Error(http, new OAuthFailure(StatusCodes.Status400BadRequest, "invalid_target", $"This service issues tokens for the audience '{auth.Audience}' only."));
        }

        IReadOnlyList<string> scopes = client.Scopes;
        var requested = request["scope"];
        if (requested is not null)
        {
            var asked = requested.Split(' ', StringSplitOptions.RemoveEmptyEntries).Distinct().ToList();
            var refused = asked.Where(s => !client.Scopes.Contains(s)).ToList();
            if (asked.Count == 0 || refused.Count > 0)
            {
                return Error(http, new OAuthFailure(StatusCodes.Status400BadRequest, "invalid_scope",
                    asked.Count == 0 ? "scope is empty." : $"The client is not granted: {string.Join(' ', refused)}."));
            }
            scopes = asked;
        }

        var tokenType = request["token_type"];
        if (edxCompatible && tokenType is not null && !tokenType.Equals("jwt", StringComparison.OrdinalIgnoreCase) && !tokenType.Equals("bearer", StringComparison.OrdinalIgnoreCase))
        {
            return Error(http, OAuthFailure.InvalidRequest("token_type must be jwt or bearer."));
        }
        var issued = await issuer.IssueAsync(client, scopes, http.RequestAborted);
        var responseType = edxCompatible && "jwt".Equals(tokenType, StringComparison.OrdinalIgnoreCase) ? "JWT" : "Bearer";
        return TypedResults.Json(new TokenResponse(issued.AccessToken, responseType, issued.ExpiresIn, issued.Scope));
    }

    internal static JsonHttpResult<OAuthError> InvalidClient(HttpContext http, string? claimedClientId, string description)
    {
        FailedTokenRequests.Record(http, claimedClientId);
        // RFC 6749 section 5.2: a 401 names the scheme the client can authenticate with.
        http.Response.Headers.WWWAuthenticate = "Basic realm=\"statsapi\", charset=\"UTF-8\"";
        return Error(http, new OAuthFailure(StatusCodes.Status401Unauthorized, "invalid_client", description));
    }

    internal static JsonHttpResult<OAuthError> Error(HttpContext http, OAuthFailure failure)
    {
        Http.AnsweredError.Record(http, failure.Error);
        return TypedResults.Json(new OAuthError(failure.Error, failure.Description, http.TraceIdentifier), statusCode: failure.Status);
    }

    private static ContentHttpResult GetJwks(SigningKeys keys, HttpContext http)
    {
        http.Response.Headers.CacheControl = "public, max-age=300";
        var jwks = new JsonObject { ["keys"] = new JsonArray(keys.Published.Select(k => JsonNode.Parse(k.PublicJwk)).ToArray()) };
        return TypedResults.Text(jwks.ToJsonString(), "application/json");
    }

    // Only what exists. response_types_supported is REQUIRED by RFC 8414 section 2 but lists values of the
    // authorization endpoint's response_type, which a client-credentials-only server has none of (RFC 7591
    // section 2.1): so it is empty. grant_types_supported must be present, or RFC 8414's default (code,
    // implicit) applies. No ID tokens, so no OpenID-only fields (subject types, ID token algorithms), though
    // the same document is served at the OpenID path for libraries that look for jwks_uri there (RFC 8414
    // section 5). Clients authenticate with secrets, not JWTs: no token_endpoint_auth_signing_alg_values_supported.
    private static Ok<AuthorizationServerMetadata> GetMetadata(IOptions<AuthOptions> auth)
    {
        var issuer = auth.Value.Issuer.TrimEnd('/');
        return TypedResults.Ok(new AuthorizationServerMetadata(
            Issuer: auth.Value.Issuer,
            JwksUri: $"{issuer}/.well-known/jwks.json",
            TokenEndpoint: $"{issuer}/oauth/token",
            GrantTypesSupported: ["client_credentials"],
            TokenEndpointAuthMethodsSupported: ["client_secret_basic", "client_secret_post"],
            ScopesSupported: [.. Scopes.All.Order()],
            ResponseTypesSupported: []));
    }
}
