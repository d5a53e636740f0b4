using Dapper;
using StatsApi.Auth;
using StatsApi.Writes;

namespace StatsApi.Privacy;

/// <summary>
/// Erases a person of the school in the caller's write (decision 0014): their row is updated in place to a
/// placeholder without identity (the same UPDATE of users every change of a person is, so whatever reads
/// the row's changes sees an update that holds no name), their API tokens are deleted and everything
/// issued for them revoked, and the stored answers that showed their name are dropped. Their marks,
/// enrolments and lessons stay, pointing at the placeholder, so every count and rollup is unchanged.
/// </summary>
internal static class Erasure
{
    /// <summary>What an erased person's names become: the columns stay non-empty, and say only this.</summary>
    public const string Placeholder = "Erased";

    private sealed record Found(bool Erased);

    /// <summary>The erasure, or the earlier one asked again; null when the school has no such person.</summary>
    public static async Task<ErasureResponse?> EraseAsync(WriteScope scope, long userId, ErasureRequest request)
    {
        var found = await scope.Connection.QuerySingleOrDefaultAsync<Found>(new CommandDefinition(
            "select erased_at is not null as erased from users where school_id = @School and user_id = @userId for update",
            new { scope.School, userId }, scope.Transaction, cancellationToken: scope.Cancellation));
        if (found is null)
        {
            return null;
        }
        if (found.Erased)
        {
            scope.ChangedNothing();
            return await EarlierAsync(scope, userId);
        }

        await scope.Connection.ExecuteAsync(new CommandDefinition("""
            update users set given_name = @placeholder, family_name = @placeholder, email = null, active = false,
                erased_at = now(), version = version + 1, updated_at = now()
            where school_id = @School and user_id = @userId
            """, new { scope.School, userId, placeholder = Placeholder }, scope.Transaction, cancellationToken: scope.Cancellation));

        // An API token's name is free text about its holder: the tokens go, not just their use.
        var tokens = (await scope.Connection.QueryAsync<long>(new CommandDefinition(
            "delete from user_api_tokens where school_id = @School and user_id = @userId returning token_id",
            new { scope.School, userId }, scope.Transaction, cancellationToken: scope.Cancellation))).ToList();
        if (tokens.Count > 0)
        {
            await scope.Connection.ExecuteAsync(new CommandDefinition(
                "delete from api_token_hashes where school_id = @School and token_id = any(@tokens)",
                new { scope.School, tokens }, scope.Transaction, cancellationToken: scope.Cancellation));
        }
        foreach (var token in tokens)
        {
            await Revocations.RevokeAsync(scope.Connection, scope.Transaction, RevocationKind.ApiToken, Revocations.ApiTokenSubject(token), scope.Cancellation);
        }
        // Access tokens already issued for the person stop on every instance within the revocation bound.
        await Revocations.RevokeAsync(scope.Connection, scope.Transaction, RevocationKind.User, Revocations.UserSubject(scope.School, userId), scope.Cancellation);

        // The stored answer of the request that created the person holds their name and e-mail, for a retry
        // with its Idempotency-Key; that retry now finds nothing and is answered as a new request would be.
        await scope.Connection.ExecuteAsync(new CommandDefinition(
            "delete from idempotency_keys where school_id = @School and location = @location",
            new { scope.School, location = SchoolRoutes.PathOf(scope.School, "users", userId) }, scope.Transaction, cancellationToken: scope.Cancellation));

        await scope.Connection.ExecuteAsync(new CommandDefinition("""
            insert into erasures (school_id, user_id, reason, reference, request_id)
            values (@School, @userId, @Reason, @Reference, @requestId)
            """, new { scope.School, userId, request.Reason, request.Reference, requestId = scope.Actor.RequestId },
            scope.Transaction, cancellationToken: scope.Cancellation));
        await scope.AuditAsync("erase", "user", userId);
        return (await EarlierAsync(scope, userId)) with { ApiTokensRevoked = tokens.Count };
    }

    private static async Task<ErasureResponse> EarlierAsync(WriteScope scope, long userId) =>
        await scope.Connection.QuerySingleAsync<ErasureResponse>(new CommandDefinition("""
            select school_id, user_id, erased_at, reason, reference, 0 as api_tokens_revoked
            from erasures where school_id = @School and user_id = @userId
            """, new { scope.School, userId }, scope.Transaction, cancellationToken: scope.Cancellation));
}
