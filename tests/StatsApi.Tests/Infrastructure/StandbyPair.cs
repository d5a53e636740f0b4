using Dapper;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using StatsApi.Data;
using StatsApi.Demo;
using StatsApi.Standbys;

namespace StatsApi.Tests.Infrastructure;

/// <summary>
/// A primary and a hot standby streaming from it, clusters of the fixture's own on free loopback ports,
/// with the smallest demo school. The service reaches both through one multi-host connection string.
/// </summary>
public sealed class StandbyPair : IAsyncLifetime
{
    private const string Database = "statsapi";

    public PostgresCluster Primary { get; private set; } = null!;

    public PostgresCluster Standby { get; private set; } = null!;

    /// <summary>Both hosts, the standby named first: only the service's own choice sends a write to the primary.</summary>
    public string ConnectionString =>
        $"Host=127.0.0.1:{Standby.Port},127.0.0.1:{Primary.Port};Username=postgres;Database={Database}";

    public async Task InitializeAsync()
    {
        Primary = await PostgresCluster.CreateAsync();
        await using (var dataSource = NpgsqlDataSource.Create(await Primary.CreateDatabaseAsync(Database)))
        {
            await new Migrator(dataSource, NullLogger<Migrator>.Instance).ApplyAsync();
            await new DemoData(dataSource, NullLogger<DemoData>.Instance).SeedAsync(new DemoDataOptions { Seed = 7, Schools = 1, StudentsPerSchool = 10, Weeks = 1 });
        }
        Standby = await Primary.CreateStandbyAsync();
    }

    public async Task DisposeAsync()
    {
        if (Standby is not null)
        {
            await Standby.DisposeAsync();
        }
        if (Primary is not null)
        {
            await Primary.DisposeAsync();
        }
    }

    public Task<T> OnPrimaryAsync<T>(string sql, object? parameters = null) => QueryAsync<T>(Primary, sql, parameters);

    public Task<T> OnStandbyAsync<T>(string sql, object? parameters = null) => QueryAsync<T>(Standby, sql, parameters);

    /// <summary>The standby receives WAL but applies none of it until resumed: it stays where it is.</summary>
    public async Task PauseReplayAsync()
    {
        await OnStandbyAsync<bool>("select pg_wal_replay_pause() is null");
        for (var attempt = 0; attempt < 500; attempt++)
        {
            if (await OnStandbyAsync<string>("select pg_get_wal_replay_pause_state()") == "paused")
            {
                return;
            }
            await Task.Delay(10);
        }
        throw new TimeoutException("The standby's replay did not pause in 5 seconds.");
    }

    public Task ResumeReplayAsync() => OnStandbyAsync<bool>("select pg_wal_replay_resume() is null");

    /// <summary>Until the standby has replayed all the primary has written so far.</summary>
    public async Task WaitForReplayAsync()
    {
        var written = await OnPrimaryAsync<string>("select pg_current_wal_lsn()::text");
        for (var attempt = 0; attempt < 600; attempt++)
        {
            if (await OnStandbyAsync<bool>("select pg_last_wal_replay_lsn() >= @written::pg_lsn", new { written }))
            {
                return;
            }
            await Task.Delay(50);
        }
        throw new TimeoutException($"The standby did not replay up to {written} in 30 seconds.");
    }

    private static async Task<T> QueryAsync<T>(PostgresCluster cluster, string sql, object? parameters)
    {
        var connectionString = new NpgsqlConnectionStringBuilder(cluster.ConnectionString(Database)) { Pooling = false }.ConnectionString;
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        return await connection.QuerySingleAsync<T>(sql, parameters);
    }
}

/// <summary>The service over both hosts of a <see cref="StandbyPair"/>.</summary>
public sealed class StandbyPairFactory : StatsApiFactory
{
    public StandbyPairFactory(StandbyPair pair, int maxReplicaLagSeconds)
    {
        ConnectionString = pair.ConnectionString;
        With("Database:MaxReplicaLagSeconds", maxReplicaLagSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    internal StandbyMonitor Monitor => Services.GetRequiredService<StandbyMonitor>();

    /// <summary>Until the monitor has found the standby within the bound, so that reads may go to it.</summary>
    public async Task WaitUntilStandbyServesReadsAsync()
    {
        for (var attempt = 0; attempt < 600; attempt++)
        {
            if (Monitor.StandbysReadable)
            {
                return;
            }
            await Task.Delay(50);
        }
        throw new TimeoutException("The standby was not found within Database:MaxReplicaLagSeconds in 30 seconds.");
    }
}
