using System.Text.RegularExpressions;
using Dapper;
using Npgsql;

namespace StatsApi.Tests.Infrastructure;

/// <summary>
/// Opt-in: the tests' databases on a Citus cluster, distributed by school_id as docs/scale-out.md says.
/// STATSAPI_TEST_CITUS names the coordinator (an admin connection string, as STATSAPI_TEST_POSTGRES does);
/// its database has the citus extension and the workers added with citus_add_node, which is where the
/// workers are found. Each test database is then made on every node, with the extension; on the coordinator
/// its workers are added, the migrations applied, and the tables distributed by the document's own calls,
/// before any data is loaded. CI has no Citus and leaves the variable unset.
/// </summary>
public static partial class TestCitus
{
    public const string Variable = "STATSAPI_TEST_CITUS";

    /// <summary>The coordinator's admin connection string, or null when the tests run on a single PostgreSQL.</summary>
    public static string? Coordinator { get; } = Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } value ? value : null;

    public static bool Enabled => Coordinator is not null;

    /// <summary>Shards per distributed table in the test databases: a few are enough to spread three schools over two workers.</summary>
    private const int ShardCount = 4;

    private sealed record Node(string Host, int Port);

    private static readonly Lazy<Task<IReadOnlyList<Node>>> Workers = new(FindWorkersAsync);

    // One database set up at a time: adding a worker to a database, or distributing a table, makes Citus create
    // or alter the role on the worker, which every database of the node shares; two test classes doing it at
    // once failed with "tuple concurrently updated".
    private static readonly SemaphoreSlim SetUp = new(1, 1);

    private static async Task<IReadOnlyList<Node>> FindWorkersAsync()
    {
        await using var connection = new NpgsqlConnection(Coordinator);
        await connection.OpenAsync();
        var workers = (await connection.QueryAsync<(string Host, int Port)>(
            "select nodename, nodeport from pg_dist_node where groupid <> 0 and noderole = 'primary' and isactive order by nodeid"))
            .Select(w => new Node(w.Host, w.Port)).ToList();
        if (workers.Count == 0)
        {
            throw new InvalidOperationException($"{Variable} names a coordinator whose database has no workers: add them there with citus_add_node.");
        }
        return workers;
    }

    /// <summary>
    /// A new database named so on the coordinator and on every worker, each with the citus extension, and the
    /// workers added on the coordinator; nothing else. Returns the coordinator's connection string for it.
    /// </summary>
    public static async Task<string> CreateDatabaseAsync(string name)
    {
        await SetUp.WaitAsync();
        try
        {
            return await CreateDatabaseOnceAsync(name);
        }
        finally
        {
            SetUp.Release();
        }
    }

    private static async Task<string> CreateDatabaseOnceAsync(string name)
    {
        var coordinator = new NpgsqlConnectionStringBuilder(Coordinator);
        var workers = await Workers.Value;
        foreach (var node in workers.Prepend(new Node(coordinator.Host!, coordinator.Port)))
        {
            var admin = new NpgsqlConnectionStringBuilder(Coordinator) { Host = node.Host, Port = node.Port, Pooling = false };
            await using (var connection = new NpgsqlConnection(admin.ConnectionString))
            {
                await connection.OpenAsync();
                await connection.ExecuteAsync($"create database {name}");
            }
            await using (var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(admin.ConnectionString) { Database = name }.ConnectionString))
            {
                await connection.OpenAsync();
                await connection.ExecuteAsync("create extension citus");
            }
        }
        var connectionString = new NpgsqlConnectionStringBuilder(Coordinator) { Database = name }.ConnectionString;
        await using (var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString))
        {
            await connection.OpenAsync();
            await connection.ExecuteAsync("select citus_set_coordinator_host(@Host, @Port)", new { coordinator.Host, coordinator.Port });
            foreach (var worker in workers)
            {
                await connection.ExecuteAsync("select citus_add_node(@Host, @Port)", worker);
            }
            // Later migrations may create triggers on distributed tables (docs/scale-out.md).
            await connection.ExecuteAsync($"alter database {name} set citus.enable_unsafe_triggers = on");
        }
        return connectionString;
    }

    /// <summary>
    /// Distributes the tables of a migrated, still empty database with the calls of docs/scale-out.md, in the
    /// document's order. Does nothing on a single PostgreSQL.
    /// </summary>
    public static async Task DistributeAsync(string connectionString)
    {
        if (!Enabled)
        {
            return;
        }
        await SetUp.WaitAsync();
        try
        {
            await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
            await connection.OpenAsync();
            await connection.ExecuteAsync($"set citus.shard_count = {ShardCount}");
            foreach (var statement in DistributionStatements(Repository.Read("docs/scale-out.md")))
            {
                await connection.ExecuteAsync(statement);
            }
        }
        finally
        {
            SetUp.Release();
        }
    }

    /// <summary>The statements of the document's SQL blocks that distribute the tables, in the document's order.</summary>
    public static IReadOnlyList<string> DistributionStatements(string document) =>
        SqlBlock().Matches(document)
            .Select(block => block.Groups[1].Value)
            .Where(sql => sql.Contains("create_distributed_table", StringComparison.Ordinal) || sql.Contains("create_reference_table", StringComparison.Ordinal))
            .SelectMany(sql => SqlText.Split(Regex.Replace(sql, "--[^\n]*", "")))
            .ToList();

    [GeneratedRegex("```sql\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex SqlBlock();
}
