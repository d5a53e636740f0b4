using Npgsql;

namespace StatsApi.Tests.Infrastructure;

/// <summary>
/// A table locked from outside the service: each of its requests that reads the table waits, holding
/// its connection, until the lock is released. How tests make a request slow on purpose.
/// </summary>
public sealed class TableLock : IAsyncDisposable
{
    private readonly NpgsqlConnection _connection;
    private readonly NpgsqlTransaction _transaction;

    private TableLock(NpgsqlConnection connection, NpgsqlTransaction transaction)
    {
        _connection = connection;
        _transaction = transaction;
    }

    public static async Task<TableLock> TakeAsync(string connectionString, string table)
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        var transaction = await connection.BeginTransactionAsync();
        await using var command = new NpgsqlCommand($"lock table {table} in access exclusive mode", connection, transaction);
        await command.ExecuteNonQueryAsync();
        return new TableLock(connection, transaction);
    }

    /// <summary>Returns once <paramref name="count"/> sessions of the database wait on a lock.</summary>
    public async Task WaitForWaitersAsync(int count)
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            await using var command = new NpgsqlCommand(
                "select count(*) from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'", _connection, _transaction);
            if ((long)(await command.ExecuteScalarAsync())! >= count)
            {
                return;
            }
            await Task.Delay(50);
        }
        Assert.Fail($"Fewer than {count} sessions came to wait on the lock.");
    }

    public Task ReleaseAsync() => _transaction.CommitAsync();

    public async ValueTask DisposeAsync()
    {
        await _transaction.DisposeAsync();
        await _connection.DisposeAsync();
    }
}
