using System.Net;
using Npgsql;
using StatsApi.Tests.Infrastructure;

namespace StatsApi.Tests;

/// <summary>
/// The service connects as an ordinary role, whose connections the test can refuse, and leaves
/// migrations to a privileged deployment step as a locked-down production would.
/// </summary>
public class OrdinaryRoleFactory : StatsApiFactory
{
    public OrdinaryRoleFactory() => With("Database:MigrateOnStartup", "false");

    public string Role { get; } = "statsapi_app_" + Guid.NewGuid().ToString("N")[..8];

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await AsSuperuserAsync($"""
            create role {Role} login;
            grant all on all tables in schema public to {Role};
            grant all on all sequences in schema public to {Role};
            """);
        ConnectionString = new NpgsqlConnectionStringBuilder(ConnectionString) { Username = Role }.ConnectionString;
    }

    /// <summary>Refuses (or allows again) the service's connections, dropping those it holds.</summary>
    public async Task RefuseConnectionsAsync(bool refuse)
    {
        await AsSuperuserAsync($"""
            alter role {Role} connection limit {(refuse ? 0 : -1)};
            select pg_terminate_backend(pid) from pg_stat_activity where usename = '{Role}';
            """);
        DataSource.Clear();
    }

    public async Task AsSuperuserAsync(string sql)
    {
        var superuser = new NpgsqlConnectionStringBuilder(ConnectionString) { Username = "postgres", Pooling = false }.ConnectionString;
        await using var connection = new NpgsqlConnection(superuser);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}

public class DatabaseOutageTests(OrdinaryRoleFactory app) : IClassFixture<OrdinaryRoleFactory>
{
    private const string Summary = "/stats/v1/attendance/summary?school_id=oakwood-primary&from=2026-09-01&to=2026-09-30";

    [Fact]
    public async Task AnUnreachableDatabaseIs503WithRetryAfterWhileTokensStillValidate()
    {
        var client = await app.CreateClientForSchoolsAsync("oakwood-primary");
        await app.RefuseConnectionsAsync(true);
        try
        {
            var response = await client.GetAsync(Summary);

            await response.AssertProblemAsync(HttpStatusCode.ServiceUnavailable, "database_unavailable");
            Assert.Equal(TimeSpan.FromSeconds(5), response.Headers.RetryAfter?.Delta);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync("/health/ready")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode);
        }
        finally
        {
            await app.RefuseConnectionsAsync(false);
        }
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(Summary)).StatusCode);
    }
}
