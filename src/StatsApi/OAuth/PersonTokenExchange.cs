using System.Net.Http.Headers;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using StatsApi.Auth;
using StatsApi.Clients;
using StatsApi.PersonTokens;
using StatsApi.Tokens;
using StatsApi.RateLimiting;

namespace StatsApi.OAuth;

/// <summary>
/// Edunation's exchange on the token endpoint: the tool's client secret in a client_secret header and a
/// person's API token as "Authorization: Basic {api_token}" give a short-lived access token that acts
/// as that person: sub is the person, role theirs, schools their school if the client holds it, and
/// scope the client's scopes narrowed to what the role may hold.
/// </summary>
internal static class PersonTokenExchange
{

    /// <summary>The grant_type a request may name; a request with the client_secret header may also name none.</summary>
    public const string GrantType = "urn:statsapi:grant-type:api-token";

    public static bool Applies(HttpRequest request) => request.Headers.ContainsKey(PersonClaims.ClientSecretHeader);

    public static async Task<Results<Ok<TokenResponse>, OAuthErrorAnswer>> IssueAsync(HttpContext http, ApiClients clients, TokenIssuer issuer, NpgsqlDataSource dataSource)
    {
        // RFC 6749 section 5.1: token responses must never be cached.
        http.Response.Headers.CacheControl = "no-store";
        http.Response.Headers.Pragma = "no-cache";
        var request = http.Request;
        var parameters = new Dictionary<string, string>();
        if (request.ContentLength > 0 || request.ContentType is not null)
        {
            var (read, failure) = await TokenRequest.ReadAsync(request);
            if (read is null)
            {
                return TokenEndpoints.Error(http, failure!);
            }
            parameters = read.Parameters.ToDictionary();
        }
        if (parameters.Keys.FirstOrDefault(k => k is "client_id" or "client_secret") is { } credential)
        {
            return TokenEndpoints.Error(http, OAuthFailure.InvalidRequest($"The exchange takes the client secret in the client_secret header only, not {credential} in the body."));
        }
        if (parameters.TryGetValue("grant_type", out var grantType) && grantType != GrantType)
        {
            return TokenEndpoints.Error(http, new OAuthFailure(StatusCodes.Status400BadRequest, "unsupported_grant_type",
                $"With a client_secret header the grant is the API-token exchange: leave grant_type out or send {GrantType}."));
        }

        var secrets = request.Headers[PersonClaims.ClientSecretHeader];
        var client = secrets.Count == 1 ? await clients.AuthenticateBySecretAsync(secrets[0]!, http.RequestAborted) : null;
        if (client is null)
        {
            return TokenEndpoints.InvalidClient(http, null, "The client_secret header names no active client.");
        }
        var apiToken = AuthenticationHeaderValue.TryParse(request.Headers.Authorization, out var authorization) &&
            authorization.Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase)
            ? ApiTokenSecrets.FromBasic(authorization.Parameter)
            : null;
        if (apiToken is null)
        {
            return TokenEndpoints.Error(http, OAuthFailure.InvalidRequest("Send the person's API token as 'Authorization: Basic {api_token}'."));
        }
        var person = await ApiTokens.FindPersonAsync(dataSource, apiToken, http.RequestAborted);
        if (person is null || !person.Active)
        {
            return InvalidGrant(http, person is null ? "The API token is unknown or was deleted." : "The API token's person is deactivated.");
        }
        if (!client.Schools.Contains(person.SchoolId))
        {
            return InvalidGrant(http, "The client is not approved for the school of the API token's person.");
        }

        if (ScopeRequest.Choose(parameters.GetValueOrDefault("scope"),
                PersonRoles.Narrow(client.Scopes, person.Role), refused => $"Neither the client nor a {person.Role} may hold: {refused}.",
                out var scopes) is { } scopeFailure)
        {
            return TokenEndpoints.Error(http, scopeFailure);
        }
        if (scopes.Count == 0)
        {
            return TokenEndpoints.Error(http, new OAuthFailure(StatusCodes.Status400BadRequest, "invalid_scope",
                $"The client holds no scope that a {person.Role} may use."));
        }
        var issued = await issuer.IssueForPersonAsync(client, person, [person.SchoolId], scopes, PersonClaims.BindingOf(secrets[0]!), http.RequestAborted);
        return TypedResults.Ok(new TokenResponse(issued.AccessToken, "Bearer", issued.ExpiresIn, issued.Scope));
    }

    // Counted against the address only: the client's secret was right, so no client's secret was guessed,
    // and a tool's users with deleted API tokens do not spend the failures its client may have.
    private static OAuthErrorAnswer InvalidGrant(HttpContext http, string description)
    {
        FailedTokenRequests.Record(http, null);
        return TokenEndpoints.Error(http, new OAuthFailure(StatusCodes.Status400BadRequest, "invalid_grant", description));
    }
}
