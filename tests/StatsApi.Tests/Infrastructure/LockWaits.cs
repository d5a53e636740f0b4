using Npgsql;

namespace StatsApi.Tests.Infrastructure;

/// <summary>Sessions of the database waiting on a lock, read from pg_stat_activity: how tests see "still blocked" without sleeping.</summary>
public static class LockWaits
{
    /// <summary>
    /// Returns once <paramref name="count"/> sessions of the connection's database wait on a lock, each for at
    /// least <paramref name="atLeast"/> (by the database's clock), polling; fails after a minute.
    /// </summary>
    public static async Task WaitForAsync(NpgsqlConnection observer, int count, TimeSpan atLeast = default, NpgsqlTransaction? transaction = null)
    {
        var deadline = DateTime.UtcNow.AddMinutes(1);
        while (DateTime.UtcNow < deadline)
        {
            // Inside a transaction the activity view is read once and kept: clear that snapshot each time.
            await using var clear = new NpgsqlCommand("select pg_stat_clear_snapshot()", observer, transaction);
            await clear.ExecuteNonQueryAsync();
            await using var command = new NpgsqlCommand("""
                select count(*) from pg_stat_activity
                where datname = current_database() and wait_event_type = 'Lock' and clock_timestamp() - query_start >= @atLeast
                """, observer, transaction);
            command.Parameters.AddWithValue("atLeast", atLeast);
            if ((long)(await command.ExecuteScalarAsync())! >= count)
            {
                return;
            }
            await Task.Delay(50);
        }
        Assert.Fail($"Fewer than {count} sessions came to wait on a lock for {atLeast}.");
    }
}
