using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using StatsApi.Docs;
using StatsApi.Auth;
using StatsApi.Http;
using StatsApi.Tokens;

namespace StatsApi.Clients;

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
[Example("""{"name":"District dashboard","tier":"standard","schools":["oakwood-primary","ravenscroft-high"],"scopes":["attendance:read","schools:read"]}""")]
internal sealed record ClientRequest
{
    [Required, MaxLength(200)]
    public string? Name { get; init; }

    [Required, Description("free, standard or premium: the rate-limit policy.")]
    public string? Tier { get; init; }

    [Required, Description("The schools the client may touch, e.g. [\"oakwood-primary\"].")]
    public IReadOnlyList<string>? Schools { get; init; }

    [Required, Description("The scopes the client may be granted.")]
    public IReadOnlyList<string>? Scopes { get; init; }

    public NewClient ToNewClient() => new(Name ?? "", Tier ?? "", Schools ?? [], Scopes ?? []);

    /// <summary>The fields left out or null: each is required, schools too ([] for a client of no school, such as an administrator).</summary>
    public Dictionary<string, string[]> Missing()
    {
        var missing = new Dictionary<string, string[]>();
        foreach (var (field, value) in new (string, object?)[] { ("name", Name), ("tier", Tier), ("schools", Schools), ("scopes", Scopes) })
        {
            if (value is null)
            {
                missing[field] = [field == "schools" ? "schools is required: the school ids the client may touch, [] for none." : $"{field} is required."];
            }
        }
        return missing;
    }
}

/// <summary>The fields to change; a field left out keeps its value.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
[Example("""{"tier":"premium"}""")]
internal sealed record ClientChanges
{
    [MaxLength(200)]
    public string? Name { get; init; }

    public string? Tier { get; init; }

    public IReadOnlyList<string>? Schools { get; init; }

    public IReadOnlyList<string>? Scopes { get; init; }
}

[Example($$"""{"data":[{"client_id":"{{ExampleValues.ClientId}}","name":"District dashboard","tier":"standard","schools":["oakwood-primary","ravenscroft-high"],"scopes":["attendance:read","schools:read"],"created_at":"{{ExampleValues.Instant}}","secret_rotated_at":"{{ExampleValues.Instant}}","revoked_at":null}]}""")]
internal sealed record ClientList(IReadOnlyList<ApiClient> Data);

/// <summary>The credentials of a new or re-keyed client: the only time the secret is shown.</summary>
[Example($$"""{"client_id":"{{ExampleValues.ClientId}}","client_secret":"{{ExampleValues.ClientSecret}}","name":"District dashboard","tier":"standard","schools":["oakwood-primary","ravenscroft-high"],"scopes":["attendance:read","schools:read"]}""")]
internal sealed record ClientCredentialsResponse(string ClientId, string ClientSecret, string Name, string Tier, IReadOnlyList<string> Schools, IReadOnlyList<string> Scopes)
{
    public static ClientCredentialsResponse From(ClientCredentials credentials) => new(credentials.Client.ClientId, credentials.ClientSecret,
        credentials.Client.Name, credentials.Client.Tier, credentials.Client.Schools, credentials.Client.Scopes);
}

/// <summary>
/// The platform's client registry over HTTP, for an application holding the admin scope: the same
/// code as the 'clients' admin commands.
/// </summary>
internal static class ClientAdminEndpoints
{
    public static IEndpointRouteBuilder MapClientAdmin(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/admin/clients").WithTags("Client administration").RequireScope(Scopes.Admin);
        group.MapGet("", ListAsync).WithName("ListClients").WithSummary("The registered clients")
            .WithDescription("Never their secrets.");
        group.MapGet("/{client_id}", GetAsync).WithName("GetClient").WithSummary("One client")
            .WithDescription("Its name, tier, schools and scopes, never its secret.");
        group.MapPost("", CreateAsync).WithName("RegisterClient").WithSummary("Register a client").WithLocation()
            .WithDescription("The answer holds client_id (32 characters) and client_secret (40), shown this once: the secret is stored only as a hash.");
        group.MapPatch("/{client_id}", UpdateAsync).WithName("UpdateClient").WithSummary("Change a client's name, tier, schools or scopes")
            .WithDescription("A change that takes a school, a scope or tier away stops the client's tokens issued before it (within the revocation bound), so its next token carries the new grants; a new name or added grants stop none.");
        group.MapPost("/{client_id}/rotate-secret", RotateAsync).WithName("RotateClientSecret").WithSummary("Replace a client's secret")
            .WithDescription("The old secret stops working at once; the new one is shown this once.");
        group.MapPost("/{client_id}/revoke", RevokeAsync).WithName("RevokeClient").WithSummary("Revoke a client")
            .WithDescription("The client gets no new token, and its tokens already issued stop within the revocation bound.");
        return routes;
    }

    private static async Task<Ok<ClientList>> ListAsync(ApiClients clients, CancellationToken cancellationToken) =>
        TypedResults.Ok(new ClientList(await clients.ListAsync(cancellationToken)));

    private static async Task<Results<Ok<ApiClient>, ProblemHttpResult>> GetAsync(ApiClients clients, [FromRoute(Name = "client_id")] string clientId, CancellationToken cancellationToken) =>
        await clients.FindAsync(clientId, cancellationToken) is { } client ? TypedResults.Ok(client) : NotFound(clientId);

    private static async Task<Results<Created<ClientCredentialsResponse>, ValidationProblem>> CreateAsync(
        ApiClients clients, ClientRequest body, HttpContext http, CancellationToken cancellationToken)
    {
        var request = body.ToNewClient();
        var errors = await clients.ValidateAsync(request, cancellationToken);
        foreach (var (field, messages) in body.Missing())
        {
            errors[field] = messages;
        }
        if (errors.Count > 0)
        {
            return Problems.Validation(errors);
        }
        var created = await clients.CreateAsync(request, Actor(http), cancellationToken);
        return TypedResults.Created($"/v1/admin/clients/{created.Client.ClientId}", ClientCredentialsResponse.From(created));
    }

    private static async Task<Results<Ok<ApiClient>, ValidationProblem, ProblemHttpResult>> UpdateAsync(
        ApiClients clients, [FromRoute(Name = "client_id")] string clientId, ClientChanges body, HttpContext http, CancellationToken cancellationToken)
    {
        if (await clients.FindAsync(clientId, cancellationToken) is not { RevokedAt: null } current)
        {
            return NotFound(clientId);
        }
        var changed = new NewClient(body.Name ?? current.Name, body.Tier ?? current.Tier, body.Schools ?? current.Schools, body.Scopes ?? current.Scopes);
        var errors = await clients.ValidateAsync(changed, cancellationToken);
        if (errors.Count > 0)
        {
            return Problems.Validation(errors);
        }
        return await clients.UpdateAsync(clientId, changed, Actor(http), cancellationToken) is { } updated ? TypedResults.Ok(updated) : NotFound(clientId);
    }

    private static async Task<Results<Ok<ClientCredentialsResponse>, ProblemHttpResult>> RotateAsync(
        ApiClients clients, [FromRoute(Name = "client_id")] string clientId, HttpContext http, CancellationToken cancellationToken) =>
        await clients.RotateSecretAsync(clientId, Actor(http), cancellationToken) is { } rotated ? TypedResults.Ok(ClientCredentialsResponse.From(rotated)) : NotFound(clientId);

    private static async Task<Results<Ok<ApiClient>, ProblemHttpResult>> RevokeAsync(
        ApiClients clients, [FromRoute(Name = "client_id")] string clientId, HttpContext http, CancellationToken cancellationToken) =>
        await clients.RevokeAsync(clientId, Actor(http), cancellationToken) is { } revoked ? TypedResults.Ok(revoked) : NotFound(clientId);

    private static string Actor(HttpContext http) => ClientActors.AdminApi(Caller.ClientId(http.User));

    private static ProblemHttpResult NotFound(string clientId) =>
        Problems.NotFound("client", $"No active client has the id '{(clientId.Length <= 40 ? clientId : clientId[..40])}'.");
}
