using Dapper;
using Npgsql;
using StatsApi.Auth;
using StatsApi.Http;
using StatsApi.Writes;

namespace StatsApi.PersonTokens;

[Example($$"""{"token_id":1,"user_id":2,"name":"Gradebook sync","prefix":"sta_Xk3pQ9","created_at":"{{ExampleValues.Instant}}","last_used_at":"2026-09-07T08:49:12Z"}""")]
internal sealed record ApiTokenResponse(long TokenId, long UserId, string Name, string Prefix, DateTime CreatedAt, DateTime? LastUsedAt);

/// <summary>A new token: the only time its secret exists outside the caller's hands.</summary>
[Example($$"""{"token_id":2,"user_id":2,"name":"Gradebook sync","prefix":"sta_Xk3pQ9","created_at":"{{ExampleValues.Instant}}","token":"sta_Xk3pQ9vR4kLp9ZsW3nYb7HcJ5dFg1AeUq2Tm8Wx6"}""")]
internal sealed record CreatedApiToken(long TokenId, long UserId, string Name, string Prefix, DateTime CreatedAt, string Token);

/// <summary>
/// People's API tokens: stored as hashes, listed by prefix, and revoked at once when deleted. Each change
/// is made here, in the caller's <see cref="WriteScope"/>, and audited here as that scope's actor's, so
/// every door (the HTTP operations, the command line's 'api-tokens create') records the same event.
/// </summary>
internal static class ApiTokens
{
    public const int MaxPerPerson = 5;

    private sealed record TokenKey(string SchoolId, long TokenId);
    private const string Columns = "token_id, user_id, name, prefix, created_at, last_used_at";

    public static async Task<List<ApiTokenResponse>> ListAsync(NpgsqlConnection connection, string school, long userId, CancellationToken cancellationToken) =>
        (await connection.QueryAsync<ApiTokenResponse>(new CommandDefinition(
            $"select {Columns} from user_api_tokens where school_id = @school and user_id = @userId order by token_id",
            new { school, userId }, cancellationToken: cancellationToken))).ToList();

    /// <summary>A new token for the person of the scope's school, audited; null, and nothing changed, when they hold as many as they may.</summary>
    public static async Task<CreatedApiToken?> CreateAsync(WriteScope scope, long userId, string name)
    {
        var created = await CreateAsync(scope.Connection, scope.Transaction, scope.School, userId, name, scope.Cancellation);
        if (created is null)
        {
            scope.ChangedNothing();
            return null;
        }
        await scope.AuditAsync("create", "api_token", created.TokenId);
        return created;
    }

    /// <summary>A new token under the name of the person's token <paramref name="tokenId"/>, which is deleted, audited; null when the person has no such token.</summary>
    public static async Task<CreatedApiToken?> RegenerateAsync(WriteScope scope, long userId, long tokenId)
    {
        // The person's lock first, as a creation takes it: the deleted token's place cannot be taken meanwhile.
        await scope.Connection.ExecuteAsync(new CommandDefinition("select 1 from users where school_id = @School and user_id = @userId for update",
            new { scope.School, userId }, scope.Transaction, cancellationToken: scope.Cancellation));
        var name = await scope.Connection.ExecuteScalarAsync<string?>(new CommandDefinition(
            "select name from user_api_tokens where school_id = @School and user_id = @userId and token_id = @tokenId",
            new { scope.School, userId, tokenId }, scope.Transaction, cancellationToken: scope.Cancellation));
        if (name is null || !await DeleteAsync(scope.Connection, scope.Transaction, scope.School, userId, tokenId, scope.Cancellation))
        {
            scope.ChangedNothing();
            return null;
        }
        // The person held the deleted one and no one else took its place, so the limit leaves room for its successor.
        var created = (await CreateAsync(scope.Connection, scope.Transaction, scope.School, userId, name, scope.Cancellation))!;
        await scope.AuditAsync("regenerate", "api_token", created.TokenId);
        return created;
    }

    /// <summary>Deletes the person's token and revokes the access tokens exchanged for it, audited; false when the person has no such token.</summary>
    public static async Task<bool> DeleteAsync(WriteScope scope, long userId, long tokenId)
    {
        if (!await DeleteAsync(scope.Connection, scope.Transaction, scope.School, userId, tokenId, scope.Cancellation))
        {
            scope.ChangedNothing();
            return false;
        }
        await scope.AuditAsync("delete", "api_token", tokenId);
        return true;
    }

    private static async Task<CreatedApiToken?> CreateAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string school, long userId, string name,
        CancellationToken cancellationToken)
    {
        // Serialises a person's concurrent creations, so the limit holds.
        await connection.ExecuteAsync(new CommandDefinition("select 1 from users where school_id = @school and user_id = @userId for update",
            new { school, userId }, transaction, cancellationToken: cancellationToken));
        var held = await connection.ExecuteScalarAsync<int>(new CommandDefinition(
            "select count(*) from user_api_tokens where school_id = @school and user_id = @userId", new { school, userId }, transaction, cancellationToken: cancellationToken));
        if (held >= MaxPerPerson)
        {
            return null;
        }
        var token = ApiTokenSecrets.NewToken();
        var row = await connection.QuerySingleAsync<ApiTokenResponse>(new CommandDefinition($"""
            insert into user_api_tokens (school_id, user_id, name, prefix)
            values (@school, @userId, @name, @prefix)
            returning {Columns}
            """, new { school, userId, name, prefix = ApiTokenSecrets.Display(token) }, transaction, cancellationToken: cancellationToken));
        await connection.ExecuteAsync(new CommandDefinition(
            "insert into api_token_hashes (token_hash, school_id, token_id) values (@hash, @school, @tokenId)",
            new { hash = ApiTokenSecrets.Hash(token), school, tokenId = row.TokenId }, transaction, cancellationToken: cancellationToken));
        return new CreatedApiToken(row.TokenId, row.UserId, row.Name, row.Prefix, row.CreatedAt, token);
    }

    private static async Task<bool> DeleteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string school, long userId, long tokenId,
        CancellationToken cancellationToken)
    {
        var deleted = await connection.ExecuteAsync(new CommandDefinition(
            "delete from user_api_tokens where school_id = @school and user_id = @userId and token_id = @tokenId",
            new { school, userId, tokenId }, transaction, cancellationToken: cancellationToken));
        if (deleted > 0)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "delete from api_token_hashes where school_id = @school and token_id = @tokenId",
                new { school, tokenId }, transaction, cancellationToken: cancellationToken));
            await Revocations.RevokeAsync(connection, transaction, RevocationKind.ApiToken, Revocations.ApiTokenSubject(tokenId), cancellationToken);
        }
        return deleted > 0;
    }

    /// <summary>The person a presented token belongs to, or null for a token that is unknown or deleted.</summary>
    public static async Task<Person?> FindPersonAsync(NpgsqlDataSource dataSource, string token, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        // The global hash table names the school; everything else is read within that school.
        var key = await connection.QuerySingleOrDefaultAsync<TokenKey>(new CommandDefinition(
            "select school_id, token_id from api_token_hashes where token_hash = @hash",
            new { hash = ApiTokenSecrets.Hash(token) }, cancellationToken: cancellationToken));
        if (key is null)
        {
            return null;
        }
        // The person's generation in the same statement as their state, so a token carries the one that state had.
        var person = await connection.QuerySingleOrDefaultAsync<Person>(new CommandDefinition("""
            select u.school_id, u.user_id, u.role, u.active, t.token_id, coalesce(r.generation, 0) as generation
            from user_api_tokens t join users u on u.school_id = t.school_id and u.user_id = t.user_id
            left join token_revocations r on r.kind = 'user' and r.subject = u.school_id || '/' || u.user_id
            where t.school_id = @SchoolId and t.token_id = @TokenId
            """, key, cancellationToken: cancellationToken));
        if (person is not null)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "update user_api_tokens set last_used_at = now() where school_id = @SchoolId and token_id = @TokenId and (last_used_at is null or last_used_at < now() - interval '1 minute')",
                person, cancellationToken: cancellationToken));
        }
        return person;
    }
}
