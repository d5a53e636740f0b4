using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc.ApiExplorer;
using Microsoft.OpenApi;
using StatsApi.Auth;
using StatsApi.Tokens;

namespace StatsApi.Docs;

/// <summary>
/// Who may call what, as the Authorize dialog of /api-docs offers it: client credentials against the
/// service's own token endpoint, a pasted access token, and a person's token with its client_secret. And
/// every form of credentials the service takes, so that a proxy validating calls against the contract
/// passes each call the service would: Open edX's 'Authorization: JWT {token}' and the bare API token of
/// 'Authorization: Basic {api_token}', neither of which is an HTTP scheme that validators know.
/// Each operation's requirements and the first sentence of its description come from its authorization metadata.
/// </summary>
internal static class Access
{
    public const string Bearer = "bearer";
    public const string OAuth2 = "oauth2";
    public const string ClientSecret = "clientSecret";
    public const string ClientBasic = "clientBasic";
    public const string ApiToken = "apiToken";
    public const string Jwt = "jwt";
    public const string BareApiToken = "apiTokenBare";

    public static Dictionary<string, IOpenApiSecurityScheme> Schemes() => new()
    {
        [OAuth2] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.OAuth2,
            Description = "Client credentials: the page fetches a token from this service's token endpoint with the client's id and secret. " +
                "Tick no scope to get all of the client's; a scope the client was not granted fails with invalid_scope.",
            Flows = new OpenApiOAuthFlows
            {
                ClientCredentials = new OpenApiOAuthFlow
                {
                    TokenUrl = new Uri("/oauth/token", UriKind.Relative),
                    Scopes = Scopes.All.Order().ToDictionary(s => s, Describe),
                },
            },
        },
        [Bearer] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            BearerFormat = "JWT",
            Description = "An access token from POST /oauth/token: a client's, or a person's from the API-token exchange (then set clientSecret too).",
        },
        [Jwt] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.ApiKey,
            In = ParameterLocation.Header,
            Name = "Authorization",
            Description = "The same access token as bearer, in Open edX's form, 'Authorization: JWT {access_token}' (the word JWT in any case), " +
                "as Open edX services send it; with a person's token, clientSecret goes with it. On this page, use bearer.",
        },
        [ClientSecret] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.ApiKey,
            In = ParameterLocation.Header,
            Name = PersonClaims.ClientSecretHeader,
            Description = "The client secret a person's token was exchanged with: every request with that token sends it again (401 invalid_client_secret otherwise).",
        },
        [ClientBasic] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "basic",
            Description = "Token requests only: the client's id as user name and its secret as password (client credentials).",
        },
        [ApiToken] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "basic",
            Description = "Token requests only, for the API-token exchange: a person's API token (sta_…) as user name and an empty password. " +
                "Tools send it as 'Authorization: Basic {api_token}', the bare token, which the service takes too (apiTokenBare); the client's secret goes in the client_secret header.",
        },
        [BareApiToken] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.ApiKey,
            In = ParameterLocation.Header,
            Name = "Authorization",
            Description = "Token requests only, for the API-token exchange as teachers' tools send it: 'Authorization: Basic {api_token}' with the bare token (sta_…), " +
                "which is not the base64 of a user name and password that HTTP Basic (apiToken) is. On this page, use apiToken.",
        },
    };

    public static void Apply(OpenApiOperation operation, ApiDescription description, OpenApiDocument document)
    {
        var metadata = description.ActionDescriptor.EndpointMetadata;
        string access;
        if (metadata.OfType<IAllowAnonymous>().Any() || !metadata.OfType<IAuthorizeData>().Any())
        {
            var tokenEndpoint = operation.RequestBody is not null;
            operation.Security = tokenEndpoint
                ? [new(), Requirement(document, ClientBasic), Requirement(document, ApiToken), Requirement(document, BareApiToken)]
                : [new()];
            access = tokenEndpoint ? "No access token: the caller authenticates here." : "Public: no access token.";
        }
        else
        {
            var requirements = metadata.OfType<AuthorizationPolicy>().SelectMany(p => p.Requirements).ToList();
            var scopes = requirements.OfType<ScopeRequirement>().Select(r => r.Scope).Distinct().Order().ToList();
            var school = requirements.OfType<SchoolAccessRequirement>().Any() ? " and a school among the token's schools" : "";
            if (requirements.OfType<PersonRequirement>().Any())
            {
                operation.Security = [Requirement(document, Bearer, ClientSecret), Requirement(document, Jwt, ClientSecret)];
                access = "Needs a token that acts for a person (from the API-token exchange, sent with its client_secret), of any role; no scope.";
            }
            else
            {
                var roles = Roles.All.Reverse().Where(role => scopes.All(s => PersonRoles.Narrow([s], role).Count > 0)).Select(RoleName).ToList();
                operation.Security = [Requirement(document, Bearer), Requirement(document, OAuth2, scopes), Requirement(document, Jwt)];
                if (roles.Count > 0)
                {
                    operation.Security.Add(Requirement(document, Bearer, ClientSecret));
                    operation.Security.Add(Requirement(document, Jwt, ClientSecret));
                }
                access = $"Needs the scope {string.Join(" and ", scopes)}{school}; " + (roles.Count > 0
                    ? $"as a person, {Join(roles)}."
                    : "no person's token may hold it.");
            }
        }
        operation.Description = string.IsNullOrEmpty(operation.Description) ? access : $"{access} {operation.Description}";
    }

    private static OpenApiSecurityRequirement Requirement(OpenApiDocument document, string scheme, List<string>? scopes = null, string? with = null)
    {
        var requirement = new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(scheme, document)] = scopes ?? [] };
        if (with is not null)
        {
            requirement[new OpenApiSecuritySchemeReference(with, document)] = [];
        }
        return requirement;
    }

    private static OpenApiSecurityRequirement Requirement(OpenApiDocument document, string scheme, string with) =>
        Requirement(document, scheme, null, with);

    private static string RoleName(string role) => role == Roles.Admin ? "a school admin" : $"a {role}";

    private static string Join(List<string> items) =>
        items.Count == 1 ? items[0] : $"{string.Join(", ", items[..^1])} or {items[^1]}";

    private static string Describe(string scope) => scope switch
    {
        Scopes.Admin => "Administer the platform's clients.",
        Scopes.PrivacyRead => "Read everything held about one person (the export) and the record of who was shown a student's data.",
        Scopes.PrivacyWrite => "Erase a person of the school: their identity removed for good, their marks kept as anonymous counts.",
        _ when scope.EndsWith(":read", StringComparison.Ordinal) => $"Read {scope[..^5]}.",
        _ => $"Change {scope[..scope.IndexOf(':', StringComparison.Ordinal)]}.",
    };
}
