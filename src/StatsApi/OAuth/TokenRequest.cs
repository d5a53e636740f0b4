using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using StatsApi.Tokens;
using StatsApi.Http;

namespace StatsApi.OAuth;

[Example("""{"access_token":"eyJhbGciOiJFUzI1NiIsImtpZCI6IjJhQTdSVjAxcE9NbVpVaDZNVlNJY0RaN0MtQUhxWnVsWk5IV1hESE91OVUiLCJ0eXAiOiJhdCtqd3QifQ.eyJzdWIiOiJsQ0haSGJsMFpPSmN1eXhRR2V2WWRPUDgzYzZGaXVLeSJ9.MEUCIQDx","token_type":"Bearer","expires_in":3600,"scope":"attendance:read schools:read"}""")]
internal sealed record TokenResponse(string AccessToken, string TokenType, int ExpiresIn, string Scope);

// Never bound: the endpoints read their bodies themselves (TokenRequest.ReadAsync), and this describes what they read.
/// <summary>A token request, in a form or JSON body: each parameter a string, given at most once; null is refused (leave a parameter out instead).</summary>
[Example("""{"grant_type":"client_credentials"}""")]
internal sealed class TokenRequestBody
{
    /// <summary>client_credentials; or urn:statsapi:grant-type:api-token, the API-token exchange, which may also leave it out.</summary>
    public string GrantType { get; init; } = "";

    /// <summary>Client credentials without HTTP Basic: the client's id, with client_secret. The API-token exchange refuses it.</summary>
    public string ClientId { get; init; } = "";

    /// <summary>Client credentials without HTTP Basic: the client's secret, with client_id; not with HTTP Basic. The API-token exchange refuses it (the secret goes in the client_secret header).</summary>
    public string ClientSecret { get; init; } = "";

    /// <summary>Space-delimited scopes, a subset of the client's (for a person, of what their role may hold); all of them when left out.</summary>
    public string Scope { get; init; } = "";

    /// <summary>Client credentials: this service's audience; any other is refused (invalid_target). The API-token exchange ignores it.</summary>
    public string Audience { get; init; } = "";

    /// <summary>The Open edX endpoints' client credentials: jwt, in any case, answers token_type "JWT"; bearer, or none, "Bearer"; another value is refused. Ignored elsewhere.</summary>
    public string TokenType { get; init; } = "";
}

/// <summary>A token request's parameters and client credentials, from a form or JSON body and HTTP Basic.</summary>
internal sealed record TokenRequest(IReadOnlyDictionary<string, string> Parameters, string? ClientId, string? ClientSecret, bool UsedBasic)
{
    public string? this[string name] => Parameters.GetValueOrDefault(name);

    /// <summary>The parsed request, or the RFC 6749 error to answer with.</summary>
    public static async Task<(TokenRequest? Request, OAuthFailure? Error)> ReadAsync(HttpRequest request)
    {
        Dictionary<string, string> parameters;
        if (request.HasFormContentType)
        {
            IFormCollection form;
            try
            {
                form = await request.ReadFormAsync();
            }
            catch (BadHttpRequestException bad)
            {
                return (null, Unreadable(bad));
            }
            catch (Exception ex) when (ex is InvalidDataException or IOException)
            {
                return (null, OAuthFailure.InvalidRequest("The form body is unreadable."));
            }
            if (form.FirstOrDefault(f => f.Value.Count > 1) is { Key: not null } repeated)
            {
                return (null, Repeated(repeated.Key));
            }
            parameters = form.ToDictionary(f => f.Key, f => f.Value.ToString(), StringComparer.Ordinal);
        }
        else if (request.HasJsonContentType())
        {
            try
            {
                using var body = await JsonDocument.ParseAsync(request.Body);
                var root = body.RootElement;
                if (root.ValueKind != JsonValueKind.Object)
                {
                    return (null, OAuthFailure.InvalidRequest("The body must be a JSON object of string parameters."));
                }
                parameters = new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (var property in root.EnumerateObject())
                {
                    if (property.Value.ValueKind != JsonValueKind.String)
                    {
                        return (null, OAuthFailure.InvalidRequest(
                            $"Parameter '{(property.Name.Length <= 40 ? property.Name : property.Name[..40] + "...")}' must be a string; leave a parameter out rather than send null."));
                    }
                    if (!parameters.TryAdd(property.Name, property.Value.GetString()!))
                    {
                        return (null, Repeated(property.Name));
                    }
                }
            }
            catch (BadHttpRequestException bad)
            {
                return (null, Unreadable(bad));
            }
            // InvalidOperationException: a string that is not valid UTF-16 (a lone surrogate escape).
            catch (Exception ex) when (ex is JsonException or InvalidOperationException or IOException)
            {
                return (null, OAuthFailure.InvalidRequest("The body is not valid JSON."));
            }
        }
        else
        {
            return (null, OAuthFailure.InvalidRequest("Send the parameters as application/x-www-form-urlencoded or application/json."));
        }

        var bodyId = parameters.GetValueOrDefault("client_id");
        var bodySecret = parameters.GetValueOrDefault("client_secret");
        var authorization = request.Headers.Authorization.ToString();
        if (string.IsNullOrEmpty(authorization))
        {
            return (new TokenRequest(parameters, bodyId, bodySecret, UsedBasic: false), null);
        }
        if (bodySecret is not null)
        {
            return (null, OAuthFailure.InvalidRequest("Authenticate with HTTP Basic or with client_secret in the body, not both."));
        }
        if (!AuthenticationHeaderValue.TryParse(authorization, out var header) ||
            !header.Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase) ||
            DecodeBasic(header.Parameter) is not var (basicId, basicSecret))
        {
            return (new TokenRequest(parameters, null, null, UsedBasic: true), null);
        }
        return (new TokenRequest(parameters, basicId, basicSecret, UsedBasic: true), null);
    }

    // RFC 6749 section 3.2: parameters must not be included more than once, in a form or in JSON alike.
    private static OAuthFailure Repeated(string name) => OAuthFailure.InvalidRequest($"Parameter '{name}' must not be repeated.");

    // Kestrel's verdict on the body (over Kestrel's MaxRequestBodySize: 413; cut short: 400) keeps its status;
    // it derives from IOException, so it is caught before the generic unreadable body.
    private static OAuthFailure Unreadable(BadHttpRequestException bad) => bad.StatusCode == StatusCodes.Status413PayloadTooLarge
        ? TooLarge
        : new(bad.StatusCode, "invalid_request", "The request body could not be read.");

    public static readonly OAuthFailure TooLarge = new(StatusCodes.Status413PayloadTooLarge, "invalid_request", "The request body is larger than the service accepts.");

    // RFC 6749 section 2.3.1: id and secret are form-encoded before they are joined with ':'.
    private static (string Id, string Secret)? DecodeBasic(string? parameter)
    {
        if (string.IsNullOrEmpty(parameter))
        {
            return null;
        }
        try
        {
            var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(parameter));
            var colon = decoded.IndexOf(':', StringComparison.Ordinal);
            return colon <= 0
                ? null
                : (Uri.UnescapeDataString(decoded[..colon].Replace('+', ' ')), Uri.UnescapeDataString(decoded[(colon + 1)..].Replace('+', ' ')));
        }
        catch (FormatException)
        {
            return null;
        }
    }
}

/// <summary>RFC 8414 authorization server metadata, served at the OpenID Connect path too (decision 0012).</summary>
[Example("""
    {"issuer":"https://localhost:5443","jwks_uri":"https://localhost:5443/.well-known/jwks.json","token_endpoint":"https://localhost:5443/oauth/token",
     "grant_types_supported":["client_credentials"],"token_endpoint_auth_methods_supported":["client_secret_basic","client_secret_post"],
     "scopes_supported":["admin","attendance:read","attendance:write","courses:read","courses:write","lessons:read","lessons:write","privacy:read","privacy:write","schools:read","users:read","users:write"],
     "response_types_supported":[],"service_documentation":"https://localhost:5443/api-docs"}
    """)]
internal sealed record AuthorizationServerMetadata(
    string Issuer,
    string JwksUri,
    string TokenEndpoint,
    IReadOnlyList<string> GrantTypesSupported,
    IReadOnlyList<string> TokenEndpointAuthMethodsSupported,
    IReadOnlyList<string> ScopesSupported,
    IReadOnlyList<string> ResponseTypesSupported,
    string ServiceDocumentation);
