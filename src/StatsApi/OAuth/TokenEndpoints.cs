using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Microsoft.Extensions.Options;
using StatsApi.Auth;
using StatsApi.Clients;
using StatsApi.Docs;
using StatsApi.Http;
using StatsApi.RateLimiting;
using StatsApi.Tokens;

namespace StatsApi.OAuth;

internal static class TokenEndpoints
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
            .WithSummary("Get an access token: client credentials, or a person's API token")
            .WithDescription("The OAuth 2.0 client credentials grant (RFC 6749 section 4.4): grant_type=client_credentials, the client " +
                "authenticated with HTTP Basic (clientBasic) or with client_id and client_secret in the body. Or the API-token exchange, which " +
                "gives a token that acts for a person: the client's secret in the client_secret header and the person's API token as " +
                "'Authorization: Basic {api_token}' (apiToken), with no body or grant_type=urn:statsapi:grant-type:api-token; the token " +
                "carries the person's role and school, and every request with it sends the same client_secret header. " +
                "Tokens are signed JWTs (RFC 9068), valid for an hour by default.");
        MapIssue(oauth, "/oauth2/v1/access_token", edxCompatible: true)
            .WithName("IssueTokenEdx")
            .WithSummary("Exchange client credentials for an access token (Open edX form)")
            .WithDescription("The Open edX-compatible token endpoint: with token_type=jwt the response's token_type is \"JWT\", and the token may be sent as 'Authorization: JWT <token>'.");
        // edx-rest-api-client, given a service's base URL, posts to <base>/oauth2/access_token.
        MapIssue(oauth, "/oauth2/access_token", edxCompatible: true)
            .WithName("IssueTokenEdxClient")
            .WithSummary("Exchange client credentials for an access token (the path Open edX's client posts to)")
            .WithDescription("The same endpoint as /oauth2/v1/access_token, at the path Open edX's edx-rest-api-client derives from a base URL " +
                "(<base>/oauth2/access_token): client_id, client_secret, grant_type=client_credentials and token_type=jwt in a form body.");

        oauth.MapGet("/.well-known/jwks.json", GetJwks).WithoutDatabase()
            .WithName("GetJwks")
            .WithSummary("The public keys that verify access tokens (RFC 7517)")
            .WithDescription("The next, current and previous signing keys; cache for up to five minutes.")
            .AddOpenApiOperationTransformer(DescribeJwksAsync);

        oauth.MapGet("/.well-known/openid-configuration", GetMetadata).WithoutDatabase()
            .WithName("GetOpenIdConfiguration")
            .WithSummary("Authorization server metadata (RFC 8414) at the OpenID Connect path")
            .WithDescription("The same document as /.well-known/oauth-authorization-server, for the resource servers and libraries that " +
                "read this path by default (ASP.NET Core's JwtBearer with Authority set to the issuer): they need issuer and jwks_uri. " +
                "The service is not an OpenID Provider (no authorization endpoint, no ID tokens), so the document has none of " +
                "OpenID Connect Discovery's provider members.");
        oauth.MapGet("/.well-known/oauth-authorization-server", GetMetadata).WithoutDatabase()
            .WithName("GetAuthorizationServerMetadata")
            .WithSummary("Authorization server metadata (RFC 8414)")
            .WithDescription("The issuer, the token endpoint, the JWKS, the grant types, client authentication methods and scopes, and where the documentation is. " +
                "No authorization endpoint: response_types_supported is empty.");
        return routes;
    }

    private static RouteHandlerBuilder MapIssue(RouteGroupBuilder group, string path, bool edxCompatible) =>
        group.MapPost(path, (HttpContext http, ApiClients clients, TokenIssuer issuer, SigningKeys keys, IOptions<AuthOptions> auth, Npgsql.NpgsqlDataSource dataSource) =>
                PersonTokenExchange.Applies(http.Request)
                    ? PersonTokenExchange.IssueAsync(http, clients, issuer, dataSource)
                    : IssueAsync(http, clients, issuer, keys, auth.Value, edxCompatible))
            .LimitFailedAttempts()
            .AddOpenApiOperationTransformer(DescribeTokenRequestAsync);

    private const string GrantType = "client_credentials";

    // What the token endpoints answer when they refuse, each status with its most frequent body: the contract shows these.
    private static readonly OAuthFailure GrantTypeMissing = OAuthFailure.InvalidRequest("grant_type is required.");
    private const string UnknownClient = "The client is unknown, revoked, or the secret is wrong.";

    private static readonly Dictionary<string, (string Description, OAuthFailure Example)> Refusals = new()
    {
        ["400"] = ("The request is refused (RFC 6749 section 5.2): invalid_request (a parameter missing, repeated or not a string, " +
            "client authentication twice, an unreadable body), unsupported_grant_type, invalid_scope, invalid_target (another audience); " +
            "for the API-token exchange also invalid_grant (an API token unknown or deleted, its person deactivated, or of a school the client is not approved for).",
            GrantTypeMissing),
        ["401"] = ("invalid_client: no client authentication, or a client unknown, revoked or with another secret; " +
            "for the API-token exchange, a client_secret header that names no active client.",
            new OAuthFailure(StatusCodes.Status401Unauthorized, "invalid_client", UnknownClient)),
        ["413"] = ("invalid_request: the body is larger than the service accepts.", TokenRequest.TooLarge),
    };

    // Documented here rather than with Accepts(): that would turn a wrong content type into a bare 415,
    // where RFC 6749 wants an invalid_request error body.
    private static async Task DescribeTokenRequestAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var schema = await context.GetOrCreateSchemaAsync(typeof(TokenRequestBody), cancellationToken: cancellationToken);
        if (schema.Properties is { } properties && properties.TryGetValue("grant_type", out var property) && property is OpenApiSchema grantType)
        {
            grantType.Enum = [GrantType, PersonTokenExchange.GrantType];
        }
        // Both grants, each body as Try it out sends it: the exchange's with the apiToken scheme and the client_secret header.
        var examples = new Dictionary<string, IOpenApiExample>
        {
            ["client_credentials"] = new OpenApiExample
            {
                Summary = "Client credentials (with clientBasic, or client_id and client_secret added)",
                Value = new JsonObject { ["grant_type"] = GrantType },
            },
            ["api_token"] = new OpenApiExample
            {
                Summary = "The API-token exchange (with apiToken and the client_secret header)",
                Value = new JsonObject { ["grant_type"] = PersonTokenExchange.GrantType },
            },
        };
        operation.RequestBody = new OpenApiRequestBody
        {
            Description = "The grant's parameters; the API-token exchange may send none.",
            Content = new Dictionary<string, OpenApiMediaType>
            {
                ["application/x-www-form-urlencoded"] = new() { Schema = schema, Examples = examples },
                ["application/json"] = new() { Schema = schema, Examples = examples },
            },
        };
        operation.Parameters ??= [];
        operation.Parameters.Add(new OpenApiParameter
        {
            Name = PersonClaims.ClientSecretHeader,
            In = ParameterLocation.Header,
            Description = "The API-token exchange only: the client's secret. The person's API token goes in 'Authorization: Basic {api_token}' (apiToken).",
            Schema = new OpenApiSchema { Type = JsonSchemaType.String, MinLength = 1 },
        });
        foreach (var status in new[] { "200", "400", "401", "413" })
        {
            if (operation.Responses?.GetValueOrDefault(status) is not OpenApiResponse response)
            {
                continue;
            }
            // RFC 6749 section 5.1: never cached.
            response.Headers ??= new Dictionary<string, IOpenApiHeader>();
            response.Headers["Cache-Control"] = new OpenApiHeader { Description = "no-store", Schema = new OpenApiSchema { Type = JsonSchemaType.String }, Example = "no-store" };
            if (Refusals.TryGetValue(status, out var refusal))
            {
                response.Description = refusal.Description;
                foreach (var media in response.Content?.Values ?? [])
                {
                    media.Example = refusal.Example.ExampleBody();
                }
            }
        }
        if (operation.Responses?.GetValueOrDefault("401") is OpenApiResponse refused)
        {
            refused.Headers!["WWW-Authenticate"] = new OpenApiHeader
            {
                Description = "The scheme the client authenticates with (RFC 6749 section 5.2).",
                Required = true,
                Schema = new OpenApiSchema { Type = JsonSchemaType.String },
                Example = Challenges.Basic,
            };
        }
    }

    private static Task DescribeJwksAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var text = new OpenApiSchema { Type = JsonSchemaType.String };
        var key = new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Required = new HashSet<string> { "kty", "kid", "alg", "use" },
            Properties = new Dictionary<string, IOpenApiSchema>
            {
                ["kty"] = new OpenApiSchema { Type = JsonSchemaType.String, Enum = ["EC", "RSA"] },
                ["kid"] = text,
                ["alg"] = new OpenApiSchema { Type = JsonSchemaType.String, Enum = ["ES256", "RS256"] },
                ["use"] = new OpenApiSchema { Type = JsonSchemaType.String, Enum = ["sig"] },
                ["crv"] = text,
                ["x"] = text,
                ["y"] = text,
                ["n"] = text,
                ["e"] = text,
            },
        };
        operation.Responses ??= [];
        operation.Responses["200"] = new OpenApiResponse
        {
            Description = "A JSON Web Key Set (RFC 7517 section 5): EC keys carry crv, x and y; RSA keys n and e.",
            Content = new Dictionary<string, OpenApiMediaType>
            {
                ["application/json"] = new()
                {
                    Schema = new OpenApiSchema
                    {
                        Type = JsonSchemaType.Object,
                        Required = new HashSet<string> { "keys" },
                        Properties = new Dictionary<string, IOpenApiSchema> { ["keys"] = new OpenApiSchema { Type = JsonSchemaType.Array, Items = key } },
                    },
                    Example = JsonNode.Parse("""
                        {"keys":[{"kty":"EC","use":"sig","kid":"2aA7RV01pOMmZUh6MVSIcDZ7C-AHqZulZNHWXDHOu9U","alg":"ES256","crv":"P-256",
                                  "x":"ikbUN_yKYx7kRNn8H-dlo85_V_gnlJcrBHQiaQogWuA","y":"IwKrzuNvwEUTOM5NBvHPIPUi-wdgUU3auWSSikIHPuU"}]}
                        """),
                },
            },
        };
        return Task.CompletedTask;
    }

    private static async Task<Results<Ok<TokenResponse>, OAuthErrorAnswer>> IssueAsync(HttpContext http, ApiClients clients, TokenIssuer issuer, SigningKeys keys, AuthOptions auth, bool edxCompatible)
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
        var (client, signingKey) = await clients.AuthenticateForIssueAsync(request.ClientId, request.ClientSecret, keys, http.RequestAborted);
        if (client is null)
        {
            return InvalidClient(http, request.ClientId, UnknownClient);
        }

        var grantType = request["grant_type"];
        if (string.IsNullOrEmpty(grantType))
        {
            return Error(http, GrantTypeMissing);
        }
        if (grantType != GrantType)
        {
            return Error(http, new OAuthFailure(StatusCodes.Status400BadRequest, "unsupported_grant_type", "Only grant_type=client_credentials is supported."));
        }
        var audience = request["audience"];
        if (audience is not null && audience != auth.Audience)
        {
            return Error(http, new OAuthFailure(StatusCodes.Status400BadRequest, "invalid_target", $"This service issues tokens for the audience '{auth.Audience}' only."));
        }

        if (ScopeRequest.Choose(request["scope"], client.Scopes, refused => $"The client is not granted: {refused}.", out var scopes) is { } scopeFailure)
        {
            return Error(http, scopeFailure);
        }

        var tokenType = request["token_type"];
        if (edxCompatible && tokenType is not null && !tokenType.Equals("jwt", StringComparison.OrdinalIgnoreCase) && !tokenType.Equals("bearer", StringComparison.OrdinalIgnoreCase))
        {
            return Error(http, OAuthFailure.InvalidRequest("token_type must be jwt or bearer."));
        }
        var issued = await issuer.IssueAsync(client, scopes, signingKey, http.RequestAborted);
        var responseType = edxCompatible && "jwt".Equals(tokenType, StringComparison.OrdinalIgnoreCase) ? "JWT" : "Bearer";
        return TypedResults.Ok(new TokenResponse(issued.AccessToken, responseType, issued.ExpiresIn, issued.Scope));
    }

    internal static OAuthErrorAnswer InvalidClient(HttpContext http, string? claimedClientId, string description)
    {
        FailedTokenRequests.Record(http, claimedClientId);
        // RFC 6749 section 5.2: a 401 names the scheme the client can authenticate with.
        http.Response.Headers.WWWAuthenticate = Challenges.Basic;
        return Error(http, new OAuthFailure(StatusCodes.Status401Unauthorized, "invalid_client", description));
    }

    internal static OAuthErrorAnswer Error(HttpContext http, OAuthFailure failure)
    {
        return failure.Answer(http);
    }

    private static ContentHttpResult GetJwks(SigningKeys keys, HttpContext http)
    {
        http.Response.Headers.CacheControl = "public, max-age=300";
        var jwks = new JsonObject { ["keys"] = new JsonArray(keys.Published.Select(k => JsonNode.Parse(k.PublicJwk)).ToArray()) };
        return TypedResults.Text(jwks.ToJsonString(), "application/json");
    }

    // Only what exists (decision 0012). The service is an OAuth authorization server for client credentials and
    // not an OpenID Provider: no authorization endpoint, no ID tokens, no sign-in. response_types_supported is
    // REQUIRED by RFC 8414 section 2 and lists the authorization endpoint's response types, of which there are
    // none (RFC 7591 section 2.1): so it is present and empty. grant_types_supported must be present, or RFC
    // 8414's default (code, implicit) applies. The same document answers at the OpenID path, which RFC 8414
    // section 3 lets OAuth applications use and resource servers' libraries read by default, without the
    // OpenID-only members, which could only be false. Clients authenticate with secrets, not JWTs: no
    // token_endpoint_auth_signing_alg_values_supported.
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
            ResponseTypesSupported: [],
            ServiceDocumentation: $"{issuer}/api-docs"));
    }
}
