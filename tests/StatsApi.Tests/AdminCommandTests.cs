using System.Text.Json;
using StatsApi.Tests.Infrastructure;
using StatsApi.Admin;

namespace StatsApi.Tests;

public class AdminCommandTests(StatsApiFactory app) : IClassFixture<StatsApiFactory>
{
    private async Task<(int Exit, string Output, string Error)> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = AdminCli.TryAnswerWithoutServices(args, output, error)
            ?? await AdminCli.RunAsync(app.Services, args, output, error);
        return (exit, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task ClientsCreatePrintsTheSecretOnceAndListNeverShowsIt()
    {
        var (exit, output, _) = await RunAsync("clients", "create", "--name", "District dashboard", "--tier", "premium",
            "--schools", "oakwood-primary,lakeside-academy", "--scopes", "attendance:read", "--json");

        Assert.Equal(0, exit);
        var created = JsonDocument.Parse(output).RootElement;
        var clientId = created.GetProperty("client_id").GetString()!;
        var secret = created.GetProperty("client_secret").GetString()!;
        Assert.Matches("^[A-Za-z0-9]{40}$", secret);
        Assert.Equal(["oakwood-primary", "lakeside-academy"], created.GetProperty("schools").EnumerateArray().Select(s => s.GetString()));

        var (_, list, _) = await RunAsync("clients", "list", "--json");
        Assert.Contains(clientId, list, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, list, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RevokeAndRotateSecretWorkOnTheNamedClient()
    {
        var (_, output, _) = await RunAsync("clients", "create", "--name", "Tool", "--tier", "free", "--schools", "oakwood-primary", "--scopes", "attendance:read", "--json");
        var clientId = JsonDocument.Parse(output).RootElement.GetProperty("client_id").GetString()!;

        var rotate = await RunAsync("clients", "rotate-secret", clientId, "--json");
        var revoke = await RunAsync("clients", "revoke", clientId);
        var rotateRevoked = await RunAsync("clients", "rotate-secret", clientId);

        Assert.Equal(0, rotate.Exit);
        Assert.Matches("^[A-Za-z0-9]{40}$", JsonDocument.Parse(rotate.Output).RootElement.GetProperty("client_secret").GetString()!);
        Assert.Equal(0, revoke.Exit);
        Assert.Equal(1, rotateRevoked.Exit);
    }

    [Theory]
    [InlineData("clients", "create", "--name", "X", "--tier", "gold", "--schools", "oakwood-primary", "--scopes", "attendance:read")]
    [InlineData("clients", "create", "--name", "X", "--tier", "free", "--schools", "atlantis", "--scopes", "attendance:read")]
    [InlineData("clients", "create", "--name", "X", "--tier", "free", "--schools", "oakwood-primary", "--scopes", "root")]
    [InlineData("clients", "create", "--tier", "free")]
    [InlineData("clients", "create", "--name", "X", "--tier", "free", "--scopes", "attendance:read", "--colour", "red")]
    [InlineData("clients", "revoke")]
    [InlineData("seed", "--weeks", "many")]
    [InlineData("seed", "--schools", "0")]
    public async Task BadArgumentsExitWith2AndSayWhy(params string[] args)
    {
        var (exit, _, error) = await RunAsync(args);
        Assert.Equal(2, exit);
        Assert.Contains("Usage:", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownCommandsExit2AndHelpExits0()
    {
        Assert.Equal(2, (await RunAsync("clients", "delete")).Exit);
        var help = await RunAsync("clients", "create", "--help");
        Assert.Equal(0, help.Exit);
        Assert.Contains("--tier", help.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("clients", "create")]
    [InlineData("keys", "rotate")]
    public async Task AGroupWithHelpListsItsCommands(string group, string command)
    {
        var (exit, output, _) = await RunAsync(group, "--help");

        Assert.Equal(0, exit);
        Assert.Contains($"{group} {command}", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AGroupWithoutACommandIsAUsageError()
    {
        var (exit, _, error) = await RunAsync("clients");

        Assert.Equal(2, exit);
        Assert.Contains("clients rotate-secret", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("bogus")]
    [InlineData("Migrate")]
    [InlineData("--json")]
    [InlineData("--urls", "http://127.0.0.1:0")]
    public async Task TheExecutableServesOnlyWithoutACommandAndAnythingUnknownExits2(params string[] args)
    {
        // Configured well enough to serve, so a stray argument that started a server would be seen running.
        var (exit, output, error) = await StatsApiProcess.RunAsync(new Dictionary<string, string?>
        {
            ["ConnectionStrings__Default"] = app.ConnectionString,
            ["Tokens__KeyEncryptionKey"] = StatsApiFactory.KeyEncryptionKey,
            ["Http__AllowPlainHttp"] = "true",
            ["Http__TrustedProxies__0"] = "127.0.0.1",
        }, args);

        Assert.True(exit == 2, $"Exit {exit}: {error}");
        Assert.Empty(output);
        Assert.Matches($"^Unknown command '{System.Text.RegularExpressions.Regex.Escape(args[0])}'.*'StatsApi help'", error.Trim());
    }

    [Fact]
    public async Task SeedIsIdempotentAndMigrateIsANoOpOnAMigratedDatabase()
    {
        var migrate = await RunAsync("migrate", "--json");
        Assert.Equal(0, migrate.Exit);
        Assert.Empty(JsonDocument.Parse(migrate.Output).RootElement.GetProperty("applied").EnumerateArray());

        var defaults = TestPostgres.DemoOptions;
        var seed = await RunAsync("seed", "--seed", defaults.Seed.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--schools", "3", "--students-per-school", "40", "--weeks", "2", "--json");
        Assert.Equal(0, seed.Exit);
        Assert.True(JsonDocument.Parse(seed.Output).RootElement.GetProperty("skipped").GetBoolean());
    }

    [Fact]
    public async Task KeysRotatePrintsTheNewKid()
    {
        var (exit, output, _) = await RunAsync("keys", "rotate", "--json");
        Assert.Equal(0, exit);
        Assert.False(string.IsNullOrEmpty(JsonDocument.Parse(output).RootElement.GetProperty("kid").GetString()));
    }

    [Fact]
    public async Task TheApiTokenCommandMakesATokenThePersonsToolCanExchange()
    {
        await using var connection = await app.DataSource.OpenConnectionAsync();
        var teacher = await Dapper.SqlMapper.ExecuteScalarAsync<long>(connection, "select min(user_id) from users where school_id = 'oakwood-primary' and role = 'teacher'");
        var (_, output, _) = await RunAsync("clients", "create", "--name", "Tool", "--tier", "free", "--schools", "oakwood-primary", "--scopes", "lessons:read", "--json");
        var secret = System.Text.Json.JsonDocument.Parse(output).RootElement.GetProperty("client_secret").GetString()!;

        var (exit, created, _) = await RunAsync("api-tokens", "create", "--school", "oakwood-primary", "--user", $"{teacher}", "--name", "Gradebook", "--json");

        Assert.Equal(0, exit);
        var apiToken = System.Text.Json.JsonDocument.Parse(created).RootElement.GetProperty("api_token").GetString()!;
        using var exchange = new HttpRequestMessage(HttpMethod.Post, "/oauth/token");
        exchange.Headers.TryAddWithoutValidation("client_secret", secret);
        exchange.Headers.TryAddWithoutValidation("Authorization", $"Basic {apiToken}");
        Assert.Equal(System.Net.HttpStatusCode.OK, (await app.CreateClient().SendAsync(exchange)).StatusCode);
        Assert.Equal(1, (await RunAsync("api-tokens", "create", "--school", "oakwood-primary", "--user", "999999999", "--name", "Nobody")).Exit);
        Assert.Equal(2, (await RunAsync("api-tokens", "create", "--school", "oakwood-primary", "--user", "abc", "--name", "Bad")).Exit);
    }
}
