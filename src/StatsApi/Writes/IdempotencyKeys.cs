using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dapper;
using Npgsql;

namespace StatsApi.Writes;

/// <summary>
/// Idempotency-Key on POST (draft-ietf-httpapi-idempotency-key-header): the first answer is stored in
/// the transaction of its write. A retry finds it; a concurrent twin waits on the key's row until the
/// first commits (and then finds it) or rolls back (and then writes itself). Keys last 24 hours.
/// </summary>
internal static class IdempotencyKeys
{
    public const string Header = "Idempotency-Key";
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(24);

    /// <summary>The key sent, null when none; an error message when it is malformed.</summary>
    public static (string? Key, string? Error) Read(HttpRequest request)
    {
        var values = request.Headers[Header];
        if (values.Count == 0)
        {
            return (null, null);
        }
        var key = values.Count == 1 ? values[0] : null;
        return key is { Length: >= 1 and <= 255 } && key.All(c => c is >= '!' and <= '~')
            ? (key, null)
            : (null, "Idempotency-Key must be one value of 1 to 255 visible ASCII characters, such as a UUID.");
    }

    // Fields too: a tuple of a body and a route value is written with its items, not as {} (which made every body alike).
    private static readonly JsonSerializerOptions FingerprintJson = new() { IncludeFields = true };

    /// <summary>
    /// What identifies a request for a key: its method, path, body (whatever its JSON layout) and the person
    /// acting, since keys are kept per client and one tool's people share /v1/me paths.
    /// </summary>
    public static byte[] Fingerprint<TBody>(HttpRequest request, TBody body) =>
        SHA256.HashData(Encoding.UTF8.GetBytes(
            $"{request.Method} {request.Path}\n{Auth.Caller.PersonId(request.HttpContext.User)}\n{JsonSerializer.Serialize(body, FingerprintJson)}"));

    public abstract record Claim
    {
        /// <summary>The key is this request's now; write, then <see cref="StoreAsync"/>.</summary>
        public sealed record Fresh : Claim;

        /// <summary>The key was used before for this very request: answer as then.</summary>
        public sealed record Replay(Written Answer) : Claim;

        /// <summary>The key was used before for another request.</summary>
        public sealed record Mismatch : Claim;
    }

    public static async Task<Claim> ClaimAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string school, string client,
        string key, byte[] fingerprint, CancellationToken cancellationToken)
    {
        // Waits here while a concurrent request holds the same key uncommitted. The time is the new row's
        // created_at (its default, now()): Citus refuses now() itself in ON CONFLICT DO UPDATE, and the age
        // is compared as an interval, as timestamptz - interval is not immutable either.
        var claimed = await connection.ExecuteScalarAsync<bool>(new CommandDefinition("""
            insert into idempotency_keys (school_id, client_id, idempotency_key, request_hash, status)
            values (@school, @client, @key, @fingerprint, 0)
            on conflict (school_id, client_id, idempotency_key) do update
                set request_hash = excluded.request_hash, status = 0, location = null, etag = null, body = null, created_at = excluded.created_at
                where excluded.created_at - idempotency_keys.created_at > @lifetime
            returning true
            """, new { school, client, key, fingerprint, lifetime = Lifetime }, transaction, cancellationToken: cancellationToken));
        if (claimed)
        {
            return new Claim.Fresh();
        }
        var stored = await connection.QuerySingleAsync<(byte[] Hash, int Status, string? Location, string? ETag, string? Body)>(new CommandDefinition("""
            select request_hash, status, location, etag, body
            from idempotency_keys where school_id = @school and client_id = @client and idempotency_key = @key
            """, new { school, client, key }, transaction, cancellationToken: cancellationToken));
        return CryptographicOperations.FixedTimeEquals(stored.Hash, fingerprint)
            ? new Claim.Replay(Written.Replay(stored.Status, stored.Body, stored.Location, stored.ETag))
            : new Claim.Mismatch();
    }

    public static Task StoreAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string school, string client, string key,
        Written answer, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition("""
            update idempotency_keys set status = @Status, location = @Location, etag = @ETag, body = @Json
            where school_id = @school and client_id = @client and idempotency_key = @key
            """, new { school, client, key, answer.Status, answer.Location, answer.ETag, answer.Json }, transaction, cancellationToken: cancellationToken));
}
