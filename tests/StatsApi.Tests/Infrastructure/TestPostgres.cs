using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Testcontainers.PostgreSql;
using StatsApi.Data;
using StatsApi.Demo;

namespace StatsApi.Tests.Infrastructure;

/// <summary>
/// One real PostgreSQL for the test run: the throwaway cluster scripts/test.sh starts (its admin
/// connection string in STATSAPI_TEST_POSTGRES), or a Testcontainers one where Docker answers.
/// A template database, migrated and loaded with a small demo data set once, is copied for each test class.
/// With STATSAPI_TEST_CITUS set (TestCitus), every database is made on a Citus cluster instead: a template
/// cannot be copied across nodes, so each is migrated, distributed and then loaded on its own.
/// </summary>
public static class TestPostgres
{
    public const string Variable = "STATSAPI_TEST_POSTGRES";

    /// <summary>The small demo data set every test database starts with.</summary>
    internal static DemoDataOptions DemoOptions { get; } = new() { Seed = 7, Schools = 3, StudentsPerSchool = 40, Weeks = 2 };

    private static readonly Lazy<Task<string>> AdminConnection = new(StartAsync);
    private static readonly Lazy<Task<string>> Template = new(CreateTemplateAsync);

    /// <summary>A new database, a copy of the template; returns its connection string.</summary>
    public static async Task<string> CreateDatabaseAsync()
    {
        if (TestCitus.Enabled)
        {
            return await CreateDistributedAsync();
        }
        var template = await Template.Value;
        var admin = await AdminConnection.Value;
        return await CreateAsync(admin, "statsapi_test_", $"template {template}");
    }

    /// <summary>A new database with nothing in it, not even the migrations.</summary>
    public static async Task<string> CreateEmptyDatabaseAsync()
    {
        if (TestCitus.Enabled)
        {
            return await TestCitus.CreateDatabaseAsync(NewName("statsapi_empty_"));
        }
        return await CreateAsync(await AdminConnection.Value, "statsapi_empty_", "");
    }

    private static string NewName(string prefix) => prefix + Guid.NewGuid().ToString("N")[..12];

    private static async Task<string> CreateAsync(string admin, string prefix, string options)
    {
        var name = NewName(prefix);
        await using (var connection = new NpgsqlConnection(admin))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"create database {name} {options}", connection);
            await create.ExecuteNonQueryAsync();
        }
        return new NpgsqlConnectionStringBuilder(admin) { Database = name }.ConnectionString;
    }

    private static async Task<string> StartAsync()
    {
        var configured = Environment.GetEnvironmentVariable(Variable);
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return configured;
        }
        try
        {
            var container = new PostgreSqlBuilder("postgres:15-alpine").Build();
            await container.StartAsync();
            return container.GetConnectionString();
        }
        catch (Exception ex)
        {
            throw new InvalidOperationException(
                $"No PostgreSQL for the tests: {Variable} is not set and Docker is not reachable ({ex.Message}). Run ./scripts/test.sh, which starts a throwaway cluster.", ex);
        }
    }

    // In the order docs/scale-out.md gives: migrate, distribute, then load.
    private static async Task<string> CreateDistributedAsync()
    {
        var connectionString = await TestCitus.CreateDatabaseAsync(NewName("statsapi_test_"));
        await using (var dataSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString))
        {
            await new Migrator(dataSource, NullLogger<Migrator>.Instance).ApplyAsync();
            await TestCitus.DistributeAsync(connectionString);
            await new DemoData(dataSource, NullLogger<DemoData>.Instance).SeedAsync(DemoOptions);
        }
        return connectionString;
    }

    private static async Task<string> CreateTemplateAsync()
    {
        var builder = new NpgsqlConnectionStringBuilder(await CreateEmptyDatabaseAsync()) { Pooling = false };
        var name = builder.Database!;
        var connectionString = builder.ConnectionString;
        await using (var dataSource = NpgsqlDataSource.Create(connectionString))
        {
            await new Migrator(dataSource, NullLogger<Migrator>.Instance).ApplyAsync();
            await new DemoData(dataSource, NullLogger<DemoData>.Instance).SeedAsync(DemoOptions);
        }
        return name;
    }
}
