using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using StatsApi.Admin;
using StatsApi.Tests.Infrastructure;
using StatsApi.Tokens;
using StatsApi.Writes;

namespace StatsApi.Tests;

/// <summary>Every write is audited, whatever its door: HTTP, the command line, and any to come share one audited path.</summary>
public class AuditTrailTests(StatsApiFactory app) : IClassFixture<StatsApiFactory>
{
    private const string School = "oakwood-primary";

    private sealed record Event(string SchoolId, string ClientId, long? PersonId, string RequestId, string Action, string ObjectType, string ObjectId);

    private async Task<Event> EventOfTokenAsync(long tokenId)
    {
        await using var connection = await app.DataSource.OpenConnectionAsync();
        return await connection.QuerySingleAsync<Event>(
            "select school_id, client_id, person_id, request_id, action, object_type, object_id from audit_events where object_type = 'api_token' and object_id = @id",
            new { id = tokenId.ToString(System.Globalization.CultureInfo.InvariantCulture) });
    }

    private async Task<(int Exit, string Output, string Error)> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = AdminCli.TryAnswerWithoutServices(args, output, error) ?? await AdminCli.RunAsync(app.Services, args, output, error);
        return (exit, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task TheCommandLinesApiTokenCreationLeavesTheAuditEventAnHttpCreationLeavesWithTheCommandLineAsItsActor()
    {
        await using var connection = await app.DataSource.OpenConnectionAsync();
        var teacher = await connection.ExecuteScalarAsync<long>("select max(user_id) from users where school_id = @School and role = 'teacher'", new { School });
        var administering = await app.CreateClientAsync([School], [Scopes.UsersWrite]);
        var http = app.CreateClient();
        http.DefaultRequestHeaders.Authorization = new("Bearer", await app.GetTokenAsync(administering));

        var overHttp = await http.PostAsJsonAsync($"/v1/schools/{School}/users/{teacher}/api-tokens", new { name = "By HTTP" });
        Assert.Equal(HttpStatusCode.Created, overHttp.StatusCode);
        var httpToken = (await overHttp.JsonAsync()).GetProperty("token_id").GetInt64();
        var (exit, output, _) = await RunAsync("api-tokens", "create", "--school", School, "--user", $"{teacher}", "--name", "By the command line", "--json");
        Assert.Equal(0, exit);
        var cliToken = JsonDocument.Parse(output).RootElement.GetProperty("token_id").GetInt64();

        var byHttp = await EventOfTokenAsync(httpToken);
        var byCli = await EventOfTokenAsync(cliToken);
        Assert.Equal(new Event(School, administering.Client.ClientId, null, overHttp.Headers.GetValues("X-Request-Id").Single(), "create", "api_token", $"{httpToken}"), byHttp);
        // The same row, but for its actor: the command line, no person, a request id of its own.
        Assert.Equal(byHttp with { ClientId = Actor.CommandLineClientId, RequestId = byCli.RequestId, ObjectId = $"{cliToken}" }, byCli);
        Assert.Matches("^cli-[0-9a-f]{32}$", byCli.RequestId);
    }

    [Fact]
    public async Task ACommandThatChangesNothingLeavesNoEvent()
    {
        await using var connection = await app.DataSource.OpenConnectionAsync();
        var before = await connection.ExecuteScalarAsync<long>("select count(*) from audit_events");

        Assert.Equal(1, (await RunAsync("api-tokens", "create", "--school", School, "--user", "999999999", "--name", "Nobody")).Exit);
        Assert.Equal(1, (await RunAsync("api-tokens", "create", "--school", "atlantis", "--user", "1", "--name", "Nowhere")).Exit);

        Assert.Equal(before, await connection.ExecuteScalarAsync<long>("select count(*) from audit_events"));
    }

    [Fact]
    public async Task AWriteThatRecordsNoAuditEventIsRolledBackWhateverItsDoor()
    {
        var writes = app.Services.GetRequiredService<SchoolWrites>();
        var code = $"UNAUDITED-{Guid.NewGuid():N}"[..20];

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => writes.RunAsync(Actor.CommandLine(), School, scope =>
            scope.Connection.ExecuteAsync(new CommandDefinition(
                "insert into courses (school_id, code, name) values (@School, @code, 'Never audited')",
                new { scope.School, code }, scope.Transaction, cancellationToken: scope.Cancellation)), CancellationToken.None));

        Assert.Contains("audit", refused.Message, StringComparison.Ordinal);
        await using var connection = await app.DataSource.OpenConnectionAsync();
        Assert.Equal(0, await connection.ExecuteScalarAsync<long>("select count(*) from courses where school_id = @School and code = @code", new { School, code }));
    }
}
