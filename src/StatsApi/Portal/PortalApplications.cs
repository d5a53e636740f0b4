using Dapper;
using Npgsql;
using StatsApi.Clients;
using StatsApi.Tokens;

namespace StatsApi.Portal;

/// <summary>The organisation a developer acts for: their approved request and what it grants.</summary>
internal sealed record Organisation(long RequestId, string Name, IReadOnlyList<string> Schools, string Tier, IReadOnlyList<string> Scopes)
{
    public static Organisation? Of(AccessRequest? request) =>
        request is { State: "approved", GrantedSchools: { } schools, GrantedTier: { } tier, GrantedScopes: { } scopes }
            ? new Organisation(request.RequestId, request.Organisation, schools, tier, scopes)
            : null;

    /// <summary>The tiers an application may have: up to the approved one.</summary>
    public IReadOnlyList<string> Tiers => StatsApi.Tokens.Tiers.All.Where(t => StatsApi.Tokens.Tiers.Rank(t) <= StatsApi.Tokens.Tiers.Rank(Tier)).ToList();
}

internal abstract record CreateResult
{
    public sealed record Created(ClientCredentials Credentials) : CreateResult;
    public sealed record Invalid(Dictionary<string, string> Errors) : CreateResult;
}

/// <summary>
/// An organisation's applications: API clients made, rotated and revoked through the client registry, the
/// same code as /v1/admin/clients and the 'clients' commands, and seen only by that organisation.
/// </summary>
internal sealed class PortalApplications(NpgsqlDataSource dataSource, ApiClients clients)
{
    public async Task<IReadOnlyList<ApiClient>> ListAsync(Organisation organisation, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<ApiClient>(new CommandDefinition("""
            select c.client_id, c.name, c.tier, c.schools, c.scopes, c.created_at, c.secret_rotated_at, c.revoked_at
            from portal_applications p join api_clients c using (client_id)
            where p.request_id = @requestId
            order by c.revoked_at is not null, c.created_at desc, c.client_id
            """, new { requestId = organisation.RequestId }, cancellationToken: cancellationToken))).ToList();
    }

    public async Task<CreateResult> CreateAsync(Organisation organisation, long accountId, string? name, string? tier, IReadOnlyList<string> scopes,
        CancellationToken cancellationToken = default)
    {
        var errors = new Dictionary<string, string>();
        if (!organisation.Tiers.Contains(tier ?? ""))
        {
            errors["Tier"] = $"Choose a tier up to your approved one: {string.Join(", ", organisation.Tiers)}.";
        }
        var beyond = scopes.Where(s => !organisation.Scopes.Contains(s)).ToList();
        if (scopes.Count == 0 || beyond.Count > 0)
        {
            errors["Scopes"] = beyond.Count > 0
                ? $"These scopes are not approved for your organisation: {string.Join(", ", beyond)}."
                : "Tick at least one scope.";
        }
        if (string.IsNullOrWhiteSpace(name) || name.Trim().Length > 200)
        {
            errors["Name"] = "Give the application a name of at most 200 characters, such as District dashboard.";
        }
        if (errors.Count > 0)
        {
            return new CreateResult.Invalid(errors);
        }
        var request = new NewClient(name!.Trim(), tier!, organisation.Schools, scopes);
        var registryErrors = await clients.ValidateAsync(request, cancellationToken);
        if (registryErrors.Count > 0)
        {
            // A school granted earlier that no longer exists, say: the registry's words, beside the form.
            return new CreateResult.Invalid(registryErrors.ToDictionary(e => e.Key == "schools" ? "" : char.ToUpperInvariant(e.Key[0]) + e.Key[1..],
                e => string.Join(" ", e.Value)));
        }
        var created = await clients.CreateAsync(request, ClientActors.Portal(accountId), cancellationToken);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "insert into portal_applications (client_id, request_id, created_by) values (@clientId, @requestId, @accountId)",
            new { clientId = created.Client.ClientId, requestId = organisation.RequestId, accountId }, cancellationToken: cancellationToken));
        return new CreateResult.Created(created);
    }

    /// <summary>A new secret for one of the organisation's active applications; null for any other id.</summary>
    public async Task<ClientCredentials?> RotateSecretAsync(Organisation organisation, long accountId, string clientId, CancellationToken cancellationToken = default) =>
        await OwnsAsync(organisation, clientId, cancellationToken) ? await clients.RotateSecretAsync(clientId, ClientActors.Portal(accountId), cancellationToken) : null;

    /// <summary>
    /// Gives one of the organisation's active applications every school the organisation holds, through the client
    /// registry's update as /v1/admin/clients does; null for any other id.
    /// </summary>
    public async Task<ApiClient?> AddSchoolsAsync(Organisation organisation, long accountId, string clientId, CancellationToken cancellationToken = default)
    {
        if (!await OwnsAsync(organisation, clientId, cancellationToken) || await clients.FindAsync(clientId, cancellationToken) is not { RevokedAt: null } client)
        {
            return null;
        }
        var widened = new NewClient(client.Name, client.Tier, client.Schools.Union(organisation.Schools, StringComparer.Ordinal).ToList(), client.Scopes);
        return await clients.UpdateAsync(clientId, widened, ClientActors.Portal(accountId), cancellationToken);
    }

    /// <summary>The organisation's schools this application may not read yet.</summary>
    public static IReadOnlyList<string> SchoolsToAdd(Organisation organisation, ApiClient application) =>
        organisation.Schools.Except(application.Schools, StringComparer.Ordinal).ToList();

    /// <summary>Revokes one of the organisation's applications; null for any other id.</summary>
    public async Task<ApiClient?> RevokeAsync(Organisation organisation, long accountId, string clientId, CancellationToken cancellationToken = default) =>
        await OwnsAsync(organisation, clientId, cancellationToken) ? await clients.RevokeAsync(clientId, ClientActors.Portal(accountId), cancellationToken) : null;

    private async Task<bool> OwnsAsync(Organisation organisation, string clientId, CancellationToken cancellationToken)
    {
        if (!ClientSecrets.IsClientIdShaped(clientId))
        {
            return false;
        }
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "select exists (select 1 from portal_applications where client_id = @clientId and request_id = @requestId)",
            new { clientId, requestId = organisation.RequestId }, cancellationToken: cancellationToken));
    }
}
