using System.Text.Json;
using StatsApi.Tests.Infrastructure;
using StatsApi.Admin;

namespace StatsApi.Tests;

[LongRunning(10)]
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
    [InlineData("--json", "migrate")]
    public async Task TheExecutableServesOnlyWithoutACommandAndAnythingUnknownExits2(params string[] args)
    {
        // Configured well enough to serve, so a stray argument that started a server would be seen running.
        var (exit, output, error) = await StatsApiProcess.RunAsync(ServingEnvironment(), args);

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

    private Dictionary<string, string?> ServingEnvironment() => new()
    {
        ["ConnectionStrings__Default"] = app.ConnectionString,
        ["Tokens__KeyEncryptionKey"] = StatsApiFactory.KeyEncryptionKey,
        ["Http__AllowPlainHttp"] = "true",
        ["Http__TrustedProxies__0"] = "127.0.0.1",
    };

    [Fact]
    public async Task TheHostsOwnOptionsServeAsInAnyAspNetCoreApplication()
    {
        // A content root of its own, whose appsettings.json names another issuer: seen in the metadata if it was read.
        var root = Directory.CreateTempSubdirectory("statsapi-content-root");
        var settings = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "appsettings.json")))!;
        settings["Auth"]!["Issuer"] = "https://content-root.test";
        File.WriteAllText(Path.Combine(root.FullName, "appsettings.json"), settings.ToJsonString());

        await using var server = await StatsApiProcess.StartServerAsync(ServingEnvironment(),
            "--urls", "http://127.0.0.1:0", "--environment", "Staging", "--contentRoot", root.FullName, "--Http:ShutdownTimeoutSeconds", "7");
        using var http = new HttpClient { BaseAddress = server.Address };
        http.DefaultRequestHeaders.Add("X-Forwarded-Proto", "https");
        var metadata = await (await http.GetAsync("/.well-known/oauth-authorization-server")).JsonAsync();

        Assert.Equal("https://content-root.test", metadata.GetProperty("issuer").GetString());
        Assert.Contains(server.Output, line => line.Contains("Hosting environment: Staging", StringComparison.Ordinal));
        root.Delete(recursive: true);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("missing.pfx")]
    [InlineData("garbage.pfx")]
    public async Task AnHttpsAddressWithoutACertificateItCanReadIsAOneLineConfigurationError(string? certificate)
    {
        // A home of its own, so no developer certificate of this machine's user stands in.
        var home = Directory.CreateTempSubdirectory("statsapi-home");
        File.WriteAllText(Path.Combine(home.FullName, "garbage.pfx"), "not a certificate");
        var environment = ServingEnvironment();
        environment["HOME"] = home.FullName;
        environment["Http__AllowPlainHttp"] = null;
        environment["Http__TrustedProxies__0"] = null;
        string[] args = certificate is null
            ? ["--urls", "https://127.0.0.1:0"]
            : ["--urls", "https://127.0.0.1:0", "--Kestrel:Certificates:Default:Path", Path.Combine(home.FullName, certificate)];

        var (exit, _, error) = await StatsApiProcess.RunAsync(environment, args);

        Assert.True(exit == 1, $"Exit {exit}: {error}");
        Assert.Single(error.Trim().Split('\n'));
        Assert.StartsWith("Configuration error:", error, StringComparison.Ordinal);
        Assert.Contains("Kestrel__Certificates__Default__Path", error, StringComparison.Ordinal);
        if (certificate == "missing.pfx")
        {
            // The setting given as --Section:Key value reached Kestrel: the file it misses is the one named.
            Assert.Contains(certificate, error, StringComparison.Ordinal);
        }
        home.Delete(recursive: true);
    }

    [Fact]
    public async Task ATypoOfAHostOptionExits2AndSaysWhatWasMeant()
    {
        var (exit, output, error) = await StatsApiProcess.RunAsync(ServingEnvironment(), "--url", "http://127.0.0.1:0");

        Assert.True(exit == 2, $"Exit {exit}: {error}");
        Assert.Empty(output);
        Assert.Contains("Unknown option '--url'. Did you mean '--urls'?", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("migrat", "migrate")]
    [InlineData("Migrate", "migrate")]
    [InlineData("clients revok", "clients revoke")]
    [InlineData("user list", "users")]
    public async Task ATypoOfACommandExits2AndSaysWhatWasMeant(string typed, string meant)
    {
        var (exit, _, error) = await RunAsync(typed.Split(' '));

        Assert.Equal(2, exit);
        Assert.Contains($"Did you mean '{meant}'?", error, StringComparison.Ordinal);
    }

    [Fact]
    public void SettingsInFrontOfACommandConfigureIt()
    {
        var split = HostArguments.Split(["--environment", "Production", "--Database:CommandTimeoutSeconds=5", "migrate", "--json"]);

        Assert.Equal(["--environment", "Production", "--Database:CommandTimeoutSeconds=5"], split.Settings);
        Assert.Equal(["migrate", "--json"], split.Command);
        Assert.False(HostArguments.Split(["--urls", "https://127.0.0.1:5999"]).IsCommand);
        Assert.Throws<UsageException>(() => HostArguments.Split(["--urls"]));
    }

    [Fact]
    public async Task UsersListFindsTheIdsTheOtherCommandsTake()
    {
        await using var connection = await app.DataSource.OpenConnectionAsync();
        var teacher = await Dapper.SqlMapper.ExecuteScalarAsync<long>(connection, "select min(user_id) from users where school_id = 'oakwood-primary' and role = 'teacher'");

        var (exit, output, _) = await RunAsync("users", "list", "--school", "oakwood-primary", "--role", "teacher", "--json");

        Assert.Equal(0, exit);
        var people = JsonDocument.Parse(output).RootElement.EnumerateArray().ToList();
        Assert.Contains(people, p => p.GetProperty("user_id").GetInt64() == teacher);
        Assert.All(people, p => Assert.Equal("teacher", p.GetProperty("role").GetString()));
        Assert.Contains($"{teacher}  teacher", (await RunAsync("users", "list", "--school", "oakwood-primary")).Output, StringComparison.Ordinal);
        Assert.Equal(1, (await RunAsync("users", "list", "--school", "atlantis")).Exit);
        Assert.Equal(2, (await RunAsync("users", "list", "--school", "oakwood-primary", "--role", "headmaster")).Exit);
        Assert.Equal(2, (await RunAsync("users", "list")).Exit);
    }

    [Fact]
    public async Task ApiTokensCreateTellsAPersonWhoIsNotThereFromOneWhoHoldsTheMost()
    {
        await using var connection = await app.DataSource.OpenConnectionAsync();
        var student = await Dapper.SqlMapper.ExecuteScalarAsync<long>(connection, "select max(user_id) from users where school_id = 'ravenscroft-high' and role = 'student'");
        for (var i = 0; i < PersonTokens.ApiTokens.MaxPerPerson; i++)
        {
            Assert.Equal(0, (await RunAsync("api-tokens", "create", "--school", "ravenscroft-high", "--user", $"{student}", "--name", $"Tool {i}")).Exit);
        }

        var full = await RunAsync("api-tokens", "create", "--school", "ravenscroft-high", "--user", $"{student}", "--name", "One more");
        var missing = await RunAsync("api-tokens", "create", "--school", "ravenscroft-high", "--user", "999999999", "--name", "Nobody");

        Assert.Equal(1, full.Exit);
        Assert.Contains($"holds {PersonTokens.ApiTokens.MaxPerPerson} API tokens", full.Error, StringComparison.Ordinal);
        Assert.Equal(1, missing.Exit);
        Assert.Contains("has no person 999999999", missing.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("API tokens", missing.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ClientsRevokeHelpSaysTheTokensAlreadyIssuedStopWithinTheRevocationBound()
    {
        var (exit, output, _) = await RunAsync("clients", "revoke", "--help");

        Assert.Equal(0, exit);
        Assert.Contains("tokens it holds stop working", output, StringComparison.Ordinal);
        Assert.Contains("Auth:RevocationRefreshSeconds", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task JsonOutputKeepsTheCharactersAsTyped()
    {
        const string name = "Teachers' tool <Ørsted & Söhne>";
        var (exit, output, _) = await RunAsync("clients", "create", "--name", name, "--tier", "free", "--schools", "oakwood-primary", "--scopes", "attendance:read", "--json");

        Assert.Equal(0, exit);
        Assert.Contains($"\"name\": \"{name}\"", output, StringComparison.Ordinal);
        Assert.DoesNotContain("\\u", output, StringComparison.Ordinal);
    }
}
