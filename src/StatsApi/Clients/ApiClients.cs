using Dapper;
using Npgsql;
using StatsApi.Auth;
using StatsApi.Tokens;
using StatsApi.Http;

namespace StatsApi.Clients;

// Settable properties rather than a positional record: Dapper binds text[] columns to properties only.
[Example($$"""{"client_id":"{{ExampleValues.ClientId}}","name":"District dashboard","tier":"standard","schools":["oakwood-primary","ravenscroft-high"],"scopes":["attendance:read","schools:read"],"created_at":"{{ExampleValues.Instant}}","secret_rotated_at":"{{ExampleValues.Instant}}","revoked_at":null}""")]
internal record ApiClient
{
    public string ClientId { get; init; } = "";
    public string Name { get; init; } = "";
    public string Tier { get; init; } = "";
    public string[] Schools { get; init; } = [];
    public string[] Scopes { get; init; } = [];
    public DateTime CreatedAt { get; init; }
    public DateTime SecretRotatedAt { get; init; }
    public DateTime? RevokedAt { get; init; }

    /// <summary>The client's generation in the revocations, read where tokens are issued: each token carries it.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public long Generation { get; init; }
}

/// <summary>Who changes a client, as the trail in client_events names them.</summary>
internal static class ClientActors
{
    public const string CommandLine = "command line";

    /// <summary>An application holding the admin scope, calling /v1/admin/clients.</summary>
    public static string AdminApi(string? clientId) => $"admin api: client {clientId ?? "unknown"}";

    /// <summary>A developer in the portal.</summary>
    public static string Portal(long accountId) => $"portal: developer {accountId}";

    /// <summary>A platform administrator reviewing in the portal.</summary>
    public static string PortalAdministrator(long accountId) => $"portal: administrator {accountId}";
}

internal sealed record NewClient(string Name, string Tier, IReadOnlyList<string> Schools, IReadOnlyList<string> Scopes);

/// <summary>A client together with its secret, which exists only in this value and is never stored.</summary>
internal sealed record ClientCredentials(ApiClient Client, string ClientSecret);

/// <summary>The clients registered with the built-in token service.</summary>
internal sealed class ApiClients(NpgsqlDataSource dataSource, IssuanceCache cache)
{
    private const string Columns = "client_id, name, tier, schools, scopes, created_at, secret_rotated_at, revoked_at";

    // The client's generation in the revocations (0 before any), read in the same statement as its grants,
    // so a token carries the generation its grants had.
    private const string IssuingColumns =
        $"{Columns}, coalesce((select r.generation from token_revocations r where r.kind = 'client' and r.subject = api_clients.client_id), 0) as generation";

    // Compared against when the client id is unknown, so a miss costs what a hit costs.
    private static readonly byte[] UnknownClientHash = ClientSecrets.Hash(ClientSecrets.NewSecret());

    /// <summary>Field name to messages; empty when the new client is acceptable.</summary>
    public async Task<Dictionary<string, string[]>> ValidateAsync(NewClient client, CancellationToken cancellationToken = default)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(client.Name) || client.Name.Length > 200)
        {
            errors["name"] = ["name is required and at most 200 characters."];
        }
        if (!Tiers.All.Contains(client.Tier))
        {
            errors["tier"] = [$"tier must be one of {string.Join(", ", Tiers.All)}."];
        }
        var unknownScopes = client.Scopes.Where(s => !Scopes.All.Contains(s)).ToList();
        if (client.Scopes.Count == 0 || unknownScopes.Count > 0)
        {
            errors["scopes"] = [$"scopes must name at least one of {string.Join(", ", Scopes.All.Order())}" +
                (unknownScopes.Count > 0 ? $"; unknown: {string.Join(", ", unknownScopes)}." : ".")];
        }
        var malformed = client.Schools.Where(s => !SchoolIds.IsValid(s)).ToList();
        if (malformed.Count > 0)
        {
            errors["schools"] = [$"school ids are lowercase slugs; malformed: {string.Join(", ", malformed)}."];
        }
        else if (client.Schools.Count > 0)
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            var known = (await connection.QueryAsync<string>(
                "select school_id from schools where school_id = any(@ids)", new { ids = client.Schools.ToArray() })).ToHashSet();
            var unknown = client.Schools.Where(s => !known.Contains(s)).ToList();
            if (unknown.Count > 0)
            {
                errors["schools"] = [$"unknown schools: {string.Join(", ", unknown)}."];
            }
        }
        return errors;
    }

    /// <summary>Registers a client that <see cref="ValidateAsync"/> accepted.</summary>
    public async Task<ClientCredentials> CreateAsync(NewClient client, string actor = ClientActors.CommandLine, CancellationToken cancellationToken = default)
    {
        var secret = ClientSecrets.NewSecret();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var created = await connection.QuerySingleAsync<ApiClient>($"""
            insert into api_clients (client_id, name, tier, schools, scopes, secret_hash)
            values (@clientId, @name, @tier, @schools, @scopes, @secretHash)
            returning {Columns}
            """,
            new
            {
                clientId = ClientSecrets.NewClientId(),
                name = client.Name.Trim(),
                tier = client.Tier,
                schools = client.Schools.Distinct().ToArray(),
                scopes = client.Scopes.Distinct().ToArray(),
                secretHash = ClientSecrets.Hash(secret),
            }, transaction);
        await RecordAsync(connection, transaction, created.ClientId, "create", actor, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new ClientCredentials(created, secret);
    }

    public async Task<IReadOnlyList<ApiClient>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<ApiClient>($"select {Columns} from api_clients order by created_at, client_id")).ToList();
    }

    public async Task<ApiClient?> FindAsync(string clientId, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<ApiClient>(new CommandDefinition(
            $"select {Columns} from api_clients where client_id = @clientId", new { clientId }, cancellationToken: cancellationToken));
    }

    /// <summary>
    /// Changes an active client's name, tier, schools or scopes (validated like a new client). When the change
    /// takes a grant away (a school, a scope, a higher tier), the tokens already issued carry what the client
    /// no longer holds, so they are revoked; a new name or added grants leave them be.
    /// </summary>
    public async Task<ApiClient?> UpdateAsync(string clientId, NewClient changed, string actor = ClientActors.CommandLine, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var before = await connection.QuerySingleOrDefaultAsync<ApiClient>(new CommandDefinition(
            $"select {Columns} from api_clients where client_id = @clientId and revoked_at is null for update",
            new { clientId }, transaction, cancellationToken: cancellationToken));
        var updated = await connection.QuerySingleOrDefaultAsync<ApiClient>(new CommandDefinition($"""
            update api_clients set name = @name, tier = @tier, schools = @schools, scopes = @scopes
            where client_id = @clientId and revoked_at is null
            returning {Columns}
            """,
            new
            {
                clientId,
                name = changed.Name.Trim(),
                tier = changed.Tier,
                schools = changed.Schools.Distinct().ToArray(),
                scopes = changed.Scopes.Distinct().ToArray(),
            }, transaction, cancellationToken: cancellationToken));
        if (before is not null && updated is not null && Narrows(before, updated))
        {
            await Revocations.RevokeAsync(connection, transaction, RevocationKind.Client, clientId, cancellationToken);
        }
        if (updated is not null)
        {
            await RecordAsync(connection, transaction, clientId, "update", actor, cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        cache.ForgetClient(clientId);
        return updated;
    }

    /// <summary>Whether a token issued under <paramref name="before"/> carries something <paramref name="after"/> no longer grants.</summary>
    public static bool Narrows(ApiClient before, ApiClient after) =>
        before.Schools.Except(after.Schools, StringComparer.Ordinal).Any() ||
        before.Scopes.Except(after.Scopes, StringComparer.Ordinal).Any() ||
        Tiers.Rank(after.Tier) < Tiers.Rank(before.Tier);

    /// <summary>A new secret for an active client; the old one stops working at once.</summary>
    public async Task<ClientCredentials?> RotateSecretAsync(string clientId, string actor = ClientActors.CommandLine, CancellationToken cancellationToken = default)
    {
        var secret = ClientSecrets.NewSecret();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var client = await connection.QuerySingleOrDefaultAsync<ApiClient>($"""
            update api_clients set secret_hash = @secretHash, secret_rotated_at = now()
            where client_id = @clientId and revoked_at is null
            returning {Columns}
            """, new { clientId, secretHash = ClientSecrets.Hash(secret) }, transaction);
        if (client is not null)
        {
            await RecordAsync(connection, transaction, clientId, "rotate-secret", actor, cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        cache.ForgetClient(clientId);
        return client is null ? null : new ClientCredentials(client, secret);
    }

    /// <summary>Revokes a client: it gets no new token, and its tokens stop. Returns null for an unknown client.</summary>
    public async Task<ApiClient?> RevokeAsync(string clientId, string actor = ClientActors.CommandLine, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // A client revoked before keeps the time it was first revoked. (Not coalesce(revoked_at, now()):
        // Citus refuses a function that is not immutable inside COALESCE or CASE of an UPDATE.)
        var revoked = await connection.QuerySingleOrDefaultAsync<ApiClient>(new CommandDefinition($"""
            update api_clients set revoked_at = now()
            where client_id = @clientId and revoked_at is null
            returning {Columns}
            """, new { clientId }, transaction, cancellationToken: cancellationToken))
            ?? await connection.QuerySingleOrDefaultAsync<ApiClient>(new CommandDefinition(
                $"select {Columns} from api_clients where client_id = @clientId",
                new { clientId }, transaction, cancellationToken: cancellationToken));
        if (revoked is not null)
        {
            // Its tokens already issued stop too, on every instance within the revocation bound.
            await Revocations.RevokeAsync(connection, transaction, RevocationKind.Client, clientId, cancellationToken);
            await RecordAsync(connection, transaction, clientId, "revoke", actor, cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        cache.ForgetClient(clientId);
        return revoked;
    }

    /// <summary>
    /// The active client these credentials belong to, or null (the secret is compared in constant time), and
    /// the key that signs now (<see cref="SigningKeys.SigningKeyQuery"/>). Both come from what this instance
    /// holds when it can (decision 0017: the client's row with its secret's hash, never a verdict), else from
    /// one round trip, where a second trip for the key was a fifth of a token's cost.
    /// </summary>
    public async Task<(ApiClient? Client, StoredSigningKey? SigningKey)> AuthenticateForIssueAsync(string clientId, string secret, SigningKeys keys,
        CancellationToken cancellationToken = default)
    {
        if (!ClientSecrets.IsClientIdShaped(clientId))
        {
            // Never a database trip for what cannot be a client id (a NUL, say, or 10 KB of text).
            ClientSecrets.Matches(secret, UnknownClientHash);
            return (null, null);
        }
        var (epoch, rotations) = (cache.Epoch, keys.Rotations);
        if (cache.TryGet(clientId, rotations, out var held, out var heldKey))
        {
            var heldMatches = ClientSecrets.Matches(secret, held.SecretHash);
            return !held.Revoked && heldMatches ? (held.Client, heldKey) : (null, null);
        }
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var results = await connection.QueryMultipleAsync(new CommandDefinition(
            $"select {IssuingColumns}, secret_hash from api_clients where client_id = @clientId;\n{SigningKeys.SigningKeyQuery};\n{SigningKeys.NextActivationQuery}",
            new { clientId, delay = keys.ActivationDelay }, cancellationToken: cancellationToken));
        var row = await results.ReadSingleOrDefaultAsync<StoredClient>();
        var key = await results.ReadSingleOrDefaultAsync<StoredSigningKey>();
        var nextActivation = await results.ReadSingleAsync<double?>();
        var matches = ClientSecrets.Matches(secret, row?.SecretHash ?? UnknownClientHash);
        var client = row is null ? null : new CachedClient(row with { SecretHash = [] }, row.RevokedAt is not null, row.SecretHash);
        if (client is not null && key is not null)
        {
            cache.Store(epoch, rotations, client, key, nextActivation);
        }
        return client is { Revoked: false } && matches ? (client.Client, key) : (null, null);
    }

    /// <summary>The active client whose secret this is: the person-token exchange names no client id, only the secret.</summary>
    public async Task<ApiClient?> AuthenticateBySecretAsync(string secret, CancellationToken cancellationToken = default)
    {
        if (secret.Length != 40 || !secret.All(char.IsAsciiLetterOrDigit))
        {
            return null;
        }
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<ApiClient>(new CommandDefinition(
            $"select {IssuingColumns} from api_clients where secret_hash = @hash and revoked_at is null",
            new { hash = ClientSecrets.Hash(secret) }, cancellationToken: cancellationToken));
    }

    /// <summary>Every door's change lands in one trail, in the change's own transaction.</summary>
    private static Task<int> RecordAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string clientId, string action, string actor,
        CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(
            "insert into client_events (client_id, action, actor) values (@clientId, @action, @actor)",
            new { clientId, action, actor }, transaction, cancellationToken: cancellationToken));

    private sealed record StoredClient : ApiClient
    {
        public byte[] SecretHash { get; init; } = [];
    }
}
