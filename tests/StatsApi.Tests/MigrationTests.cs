using Dapper;
using Npgsql;
using StatsApi.Tests.Infrastructure;
using StatsApi.Data;

namespace StatsApi.Tests;

public class MigrationTests
{
    [Fact]
    public async Task InstancesStartingTogetherApplyEachMigrationOnce()
    {
        var connectionString = await TestPostgres.CreateEmptyDatabaseAsync();
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        var logger = Microsoft.Extensions.Logging.Abstractions.NullLogger<Migrator>.Instance;

        var results = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => new Migrator(dataSource, logger).ApplyAsync()));

        Assert.Equal(Migrator.All.Select(m => m.Version), results.SelectMany(r => r).Order(StringComparer.Ordinal));
        Assert.Empty(await new Migrator(dataSource, logger).PendingAsync());
        await using var command = dataSource.CreateCommand("select count(*) from schema_migrations");
        Assert.Equal((long)Migrator.All.Count, (long)(await command.ExecuteScalarAsync())!);
    }

    [Fact]
    public async Task TheMigratorLeavesNoSessionStateOnAConnectionThePoolDoesNotReset()
    {
        var connectionString = new NpgsqlConnectionStringBuilder(await TestPostgres.CreateEmptyDatabaseAsync())
        {
            NoResetOnClose = true,
            MaxPoolSize = 1,
            Options = "-c statement_timeout=15000",
        }.ConnectionString;
        await using var dataSource = NpgsqlDataSource.Create(connectionString);

        await new Migrator(dataSource, Microsoft.Extensions.Logging.Abstractions.NullLogger<Migrator>.Instance).ApplyAsync();

        // One connection in the pool: this is the one the migrator used.
        await using var connection = await dataSource.OpenConnectionAsync();
        Assert.Equal("15s", await connection.ExecuteScalarAsync<string>("show statement_timeout"));
        Assert.Equal(0L, await connection.ExecuteScalarAsync<long>("select count(*) from pg_locks where locktype = 'advisory' and pid = pg_backend_pid()"));
    }

    [Fact]
    public async Task AMigratorWaitsForAnotherInstanceLongerThanTheCommandTimeout()
    {
        var connectionString = new NpgsqlConnectionStringBuilder(await TestPostgres.CreateEmptyDatabaseAsync()) { CommandTimeout = 1 }.ConnectionString;
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await using var other = await dataSource.OpenConnectionAsync();
        await other.ExecuteAsync("select pg_advisory_lock(@key)", new { key = Migrator.AdvisoryLockKey });

        var migrating = new Migrator(dataSource, Microsoft.Extensions.Logging.Abstractions.NullLogger<Migrator>.Instance).ApplyAsync();
        // Still waiting for the lock at twice the command timeout, by the database's own account of it.
        await LockWaits.WaitForAsync(other, 1, TimeSpan.FromSeconds(2));
        Assert.False(migrating.IsCompleted);
        await other.ExecuteAsync("select pg_advisory_unlock(@key)", new { key = Migrator.AdvisoryLockKey });

        Assert.Equal(Migrator.All.Select(m => m.Version), await migrating);
    }

    [Fact]
    public void MigrationsAreNumberedInOrder()
    {
        var versions = Migrator.All.Select(m => m.Version).ToList();
        Assert.NotEmpty(versions);
        Assert.All(versions, v => Assert.Matches("^[0-9]{4}_[a-z0-9_]+$", v));
        Assert.Equal(versions.Count, versions.Select(v => v[..4]).Distinct().Count());
    }
}
