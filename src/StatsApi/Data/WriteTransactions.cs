using Npgsql;

namespace StatsApi.Data;

/// <summary>
/// Runs a write in a transaction, and runs it again when PostgreSQL aborted it for a deadlock or a
/// serialization failure: both say only that a concurrent write got in the way, so a fresh attempt
/// normally succeeds. The work must therefore be safe to repeat from the start, and do nothing outside
/// the transaction it is given. (A write that needs serializable isolation sets it as its first statement.)
/// </summary>
internal sealed class WriteTransactions(NpgsqlDataSource dataSource, ILogger<WriteTransactions> logger)
{
    public const int MaxAttempts = 4;

    /// <summary>Deadlocks and serialization failures: another transaction conflicted, and a retry may succeed.</summary>
    public static bool IsWriteConflict(Exception exception) =>
        exception is PostgresException { SqlState: PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure };

    /// <summary>Commits what <paramref name="work"/> did and returns its result; a conflict on the last attempt escapes.</summary>
    public Task<T> RunAsync<T>(Func<NpgsqlConnection, NpgsqlTransaction, CancellationToken, Task<T>> work, CancellationToken cancellationToken = default) =>
        RunAsync(work, static _ => true, cancellationToken);

    /// <summary>
    /// Commits what <paramref name="work"/> did when <paramref name="commit"/> says its result should be kept,
    /// and rolls it back otherwise; either way returns the result.
    /// </summary>
    public async Task<T> RunAsync<T>(Func<NpgsqlConnection, NpgsqlTransaction, CancellationToken, Task<T>> work, Func<T, bool> commit,
        CancellationToken cancellationToken = default)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
                var result = await work(connection, transaction, cancellationToken);
                if (commit(result))
                {
                    await transaction.CommitAsync(cancellationToken);
                }
                else
                {
                    await transaction.RollbackAsync(cancellationToken);
                }
                return result;
            }
            catch (Exception ex) when (attempt < MaxAttempts && IsWriteConflict(ex))
            {
                logger.LogInformation("A write transaction conflicted with another ({SqlState}); attempt {Attempt} of {MaxAttempts} follows",
                    ((PostgresException)ex).SqlState, attempt + 1, MaxAttempts);
            }
            // Jitter keeps the transactions that just collided from colliding again in step.
            await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(10, 50) * attempt), cancellationToken);
        }
    }
}
