using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Dapper;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using StatsApi.Tests.Infrastructure;
using StatsApi.Clients;
using StatsApi.Tokens;

namespace StatsApi.Tests;

public class PersonTokenTests(StatsApiFactory app) : IClassFixture<StatsApiFactory>
{
    private const string School = "oakwood-primary";
    private static readonly string[] ToolScopes = [Scopes.UsersRead, Scopes.UsersWrite, Scopes.CoursesRead, Scopes.LessonsRead, Scopes.LessonsWrite, Scopes.AttendanceRead, Scopes.AttendanceWrite];

    /// <summary>A new person of the school, so each test's API tokens are its own.</summary>
    private async Task<long> UserAsync(string role, string school = School)
    {
        var admin = await app.CreateClientWithScopesAsync([school], Scopes.UsersWrite);
        var created = await admin.PostAsJsonAsync($"/v1/schools/{school}/users", new { role, given_name = "Pat", family_name = "Example" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return (await created.JsonAsync()).GetProperty("user_id").GetInt64();
    }

    /// <summary>An API token for the person, made the way a school's administering application makes one.</summary>
    private async Task<string> ApiTokenForAsync(long userId, string school = School)
    {
        var admin = await app.CreateClientWithScopesAsync([school], Scopes.UsersWrite);
        var created = await admin.PostAsJsonAsync($"/v1/schools/{school}/users/{userId}/api-tokens", new { name = "Teacher's gradebook" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return (await created.JsonAsync()).GetProperty("token").GetString()!;
    }

    private static async Task<HttpResponseMessage> ExchangeAsync(HttpClient http, string? clientSecret, string? basic, string? body = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/oauth/token");
        if (clientSecret is not null)
        {
            request.Headers.TryAddWithoutValidation("client_secret", clientSecret);
        }
        if (basic is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", $"Basic {basic}");
        }
        if (body is not null)
        {
            request.Content = new StringContent(body, System.Text.Encoding.ASCII, "application/x-www-form-urlencoded");
        }
        return await http.SendAsync(request);
    }

    private async Task<(ClientCredentials Tool, string ApiToken, string AccessToken)> TeacherSessionAsync()
    {
        var tool = await app.CreateClientAsync([School, "ravenscroft-high"], ToolScopes);
        var apiToken = await ApiTokenForAsync(await UserAsync("teacher"));
        var exchanged = await ExchangeAsync(app.CreateClient(), tool.ClientSecret, apiToken);
        Assert.Equal(HttpStatusCode.OK, exchanged.StatusCode);
        return (tool, apiToken, (await exchanged.JsonAsync()).GetProperty("access_token").GetString()!);
    }

    [Fact]
    public async Task TheExchangeGivesATokenThatActsForThePersonWithinTheirSchoolAndRole()
    {
        var (_, _, accessToken) = await TeacherSessionAsync();

        var jwt = new JsonWebToken(accessToken);
        Assert.True(long.TryParse(jwt.Subject, out _));
        Assert.Equal("teacher", jwt.Claims.Single(c => c.Type == "role").Value);
        Assert.Equal([School], jwt.Claims.Where(c => c.Type == "schools").Select(c => c.Value));
        var scopes = jwt.Claims.Single(c => c.Type == "scope").Value.Split(' ');
        Assert.Contains(Scopes.LessonsWrite, scopes);
        Assert.DoesNotContain(Scopes.UsersWrite, scopes);
        Assert.True(jwt.ValidTo - jwt.ValidFrom <= TimeSpan.FromMinutes(15));
    }

    [Fact]
    public async Task TheApiTokenMayAlsoBeSentInBase64()
    {
        var tool = await app.CreateClientAsync([School], ToolScopes);
        var apiToken = await ApiTokenForAsync(await UserAsync("teacher"));

        var response = await ExchangeAsync(app.CreateClient(), tool.ClientSecret, Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes(apiToken + ":")));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task EachBadPartOfTheExchangeIsRefused()
    {
        var tool = await app.CreateClientAsync([School], ToolScopes);
        var http = app.CreateClient();
        var apiToken = await ApiTokenForAsync(await UserAsync("teacher"));
        var otherSchoolToken = await ApiTokenForAsync(await UserAsync("teacher", "ravenscroft-high"), "ravenscroft-high");

        await (await ExchangeAsync(http, ClientSecrets.NewSecret(), apiToken)).AssertOAuthErrorAsync(HttpStatusCode.Unauthorized, "invalid_client");
        await (await ExchangeAsync(http, null, apiToken)).AssertOAuthErrorAsync(HttpStatusCode.BadRequest, "invalid_request");
        await (await ExchangeAsync(http, tool.ClientSecret, null)).AssertOAuthErrorAsync(HttpStatusCode.BadRequest, "invalid_request");
        await (await ExchangeAsync(http, tool.ClientSecret, "sta_" + new string('x', 40))).AssertOAuthErrorAsync(HttpStatusCode.BadRequest, "invalid_grant");
        await (await ExchangeAsync(http, tool.ClientSecret, otherSchoolToken)).AssertOAuthErrorAsync(HttpStatusCode.BadRequest, "invalid_grant");
        await (await ExchangeAsync(http, tool.ClientSecret, apiToken, "grant_type=client_credentials")).AssertOAuthErrorAsync(HttpStatusCode.BadRequest, "unsupported_grant_type");
        await (await ExchangeAsync(http, tool.ClientSecret, apiToken, "scope=users:write")).AssertOAuthErrorAsync(HttpStatusCode.BadRequest, "invalid_scope");
    }

    [Fact]
    public async Task ADeactivatedPersonOrADeletedApiTokenIsAnInvalidGrant()
    {
        var tool = await app.CreateClientAsync([School], ToolScopes);
        var admin = await app.CreateClientWithScopesAsync([School], Scopes.UsersWrite);
        var student = await UserAsync("student");
        var studentToken = await ApiTokenForAsync(student);
        Assert.Equal(HttpStatusCode.OK, (await admin.PatchAsJsonAsync($"/v1/schools/{School}/users/{student}", new { active = false })).StatusCode);

        await (await ExchangeAsync(app.CreateClient(), tool.ClientSecret, studentToken)).AssertOAuthErrorAsync(HttpStatusCode.BadRequest, "invalid_grant");

        var teacher = await UserAsync("teacher");
        var teacherToken = await ApiTokenForAsync(teacher);
        var listed = await (await admin.GetAsync($"/v1/schools/{School}/users/{teacher}/api-tokens")).JsonAsync();
        var tokenId = listed.GetProperty("data").EnumerateArray().Single(t => teacherToken.StartsWith(t.GetProperty("prefix").GetString()!, StringComparison.Ordinal)).GetProperty("token_id").GetInt64();
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/v1/schools/{School}/users/{teacher}/api-tokens/{tokenId}")).StatusCode);
        await (await ExchangeAsync(app.CreateClient(), tool.ClientSecret, teacherToken)).AssertOAuthErrorAsync(HttpStatusCode.BadRequest, "invalid_grant");
    }

    [Fact]
    public async Task APersonsTokenWorksOnlyWithItsClientsSecret()
    {
        var (tool, _, accessToken) = await TeacherSessionAsync();
        var http = app.CreateClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        const string Lessons = $"/v1/schools/{School}/lessons?limit=1";

        await (await http.GetAsync(Lessons)).AssertProblemAsync(HttpStatusCode.Unauthorized, "invalid_client_secret");
        http.DefaultRequestHeaders.Add("client_secret", ClientSecrets.NewSecret());
        await (await http.GetAsync(Lessons)).AssertProblemAsync(HttpStatusCode.Unauthorized, "invalid_client_secret");
        http.DefaultRequestHeaders.Remove("client_secret");
        http.DefaultRequestHeaders.Add("client_secret", tool.ClientSecret);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(Lessons)).StatusCode);
    }

    [Fact]
    public async Task APersonManagesTheirOwnApiTokensAndAClientsTokenCannot()
    {
        var (tool, apiToken, accessToken) = await TeacherSessionAsync();
        var me = app.CreateClient();
        me.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        me.DefaultRequestHeaders.Add("client_secret", tool.ClientSecret);

        var created = await (await me.PostAsJsonAsync("/v1/me/api-tokens", new { name = "Second device" })).JsonAsync();
        var second = created.GetProperty("token").GetString()!;
        Assert.StartsWith("sta_", second, StringComparison.Ordinal);
        var listed = await (await me.GetAsync("/v1/me/api-tokens")).JsonAsync();
        Assert.Equal(2, listed.GetProperty("data").GetArrayLength());
        Assert.DoesNotContain(second, listed.ToString(), StringComparison.Ordinal);

        var regenerated = await (await me.PostAsync($"/v1/me/api-tokens/{created.GetProperty("token_id").GetInt64()}/regenerate", null)).JsonAsync();
        Assert.Equal("Second device", regenerated.GetProperty("name").GetString());
        await (await ExchangeAsync(app.CreateClient(), tool.ClientSecret, second)).AssertOAuthErrorAsync(HttpStatusCode.BadRequest, "invalid_grant");
        Assert.Equal(HttpStatusCode.OK, (await ExchangeAsync(app.CreateClient(), tool.ClientSecret, regenerated.GetProperty("token").GetString()!)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await ExchangeAsync(app.CreateClient(), tool.ClientSecret, apiToken)).StatusCode);

        var integrator = await app.CreateClientWithScopesAsync([School], Scopes.UsersRead);
        await (await integrator.GetAsync("/v1/me/api-tokens")).AssertProblemAsync(HttpStatusCode.Forbidden, "person_token_required");
    }

    [Fact]
    public async Task ARetriedTokenCreationNeverShowsTheSecretTwice()
    {
        var admin = await app.CreateClientWithScopesAsync([School], Scopes.UsersWrite);
        var teacher = await UserAsync("teacher");
        var key = Guid.NewGuid().ToString();

        async Task<HttpResponseMessage> PostAsync()
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/schools/{School}/users/{teacher}/api-tokens") { Content = JsonContent.Create(new { name = "Retried" }) };
            request.Headers.Add("Idempotency-Key", key);
            return await admin.SendAsync(request);
        }

        Assert.Equal(HttpStatusCode.Created, (await PostAsync()).StatusCode);
        await (await PostAsync()).AssertProblemAsync(HttpStatusCode.Conflict, "idempotency_key_applied");
        await using var connection = await app.DataSource.OpenConnectionAsync();
        Assert.Null(await connection.ExecuteScalarAsync<string?>("select body from idempotency_keys where idempotency_key = @key", new { key }));
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>("select count(*) from user_api_tokens where school_id = @School and user_id = @teacher and name = 'Retried'", new { School, teacher }));
    }

    [Fact]
    public async Task RevokedClientsAndDeletedApiTokensStopTheirLiveTokensOnEveryInstance()
    {
        var fast = new Dictionary<string, string?> { ["Auth:RevocationRefreshSeconds"] = "1" };
        await using var other = app.CreateRestarted(fast);
        var (tool, _, personToken) = await TeacherSessionAsync();
        var integrator = await app.CreateClientAsync([School]);
        var integratorToken = await app.GetTokenAsync(integrator);
        var asPerson = other.CreateClient();
        asPerson.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", personToken);
        asPerson.DefaultRequestHeaders.Add("client_secret", tool.ClientSecret);
        var asIntegrator = other.CreateClient();
        asIntegrator.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", integratorToken);
        const string Summary = $"/stats/v1/attendance/summary?school_id={School}&from=2026-09-01&to=2026-09-30";
        Assert.Equal(HttpStatusCode.OK, (await asPerson.GetAsync(Summary)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await asIntegrator.GetAsync(Summary)).StatusCode);

        var me = app.CreateClient();
        me.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", personToken);
        me.DefaultRequestHeaders.Add("client_secret", tool.ClientSecret);
        var tokenId = (await (await me.GetAsync("/v1/me/api-tokens")).JsonAsync()).GetProperty("data")[0].GetProperty("token_id").GetInt64();
        Assert.Equal(HttpStatusCode.NoContent, (await me.DeleteAsync($"/v1/me/api-tokens/{tokenId}")).StatusCode);
        await app.Services.GetRequiredService<ApiClients>().RevokeAsync(integrator.Client.ClientId);

        await AssertRefusedSoonAsync(asPerson, Summary);
        await AssertRefusedSoonAsync(asIntegrator, Summary);
    }

    private static async Task AssertRefusedSoonAsync(HttpClient client, string path)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        HttpResponseMessage response;
        do
        {
            response = await client.GetAsync(path);
            if (response.StatusCode == HttpStatusCode.Unauthorized)
            {
                await response.AssertProblemAsync(HttpStatusCode.Unauthorized, "token_revoked");
                return;
            }
            await Task.Delay(200);
        }
        while (DateTime.UtcNow < deadline);
        Assert.Fail($"Still {(int)response.StatusCode} ten seconds after the revocation.");
    }

    [Fact]
    public async Task NeitherApiTokensNorClientSecretsReachTheLogs()
    {
        var logs = new CapturedLogs();
        await using var logged = app.CreateRestarted(new Dictionary<string, string?> { ["Logging:LogLevel:Default"] = "Debug" })
            .WithServices(services => services.AddSingleton<ILoggerProvider>(logs));
        var tool = await app.CreateClientAsync([School], ToolScopes);
        var apiToken = await ApiTokenForAsync(await UserAsync("teacher"));
        var http = logged.CreateClient();

        var exchanged = await ExchangeAsync(http, tool.ClientSecret, apiToken);
        await ExchangeAsync(http, tool.ClientSecret + "x", apiToken);
        await ExchangeAsync(http, tool.ClientSecret, apiToken[..^1] + "Z");
        var accessToken = (await exchanged.JsonAsync()).GetProperty("access_token").GetString()!;
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        await http.GetAsync($"/v1/schools/{School}/lessons?limit=1");

        Assert.NotEmpty(logs.Lines);
        foreach (var secret in new[] { apiToken, apiToken[4..], tool.ClientSecret, accessToken.Split('.')[1], accessToken.Split('.')[2] })
        {
            Assert.DoesNotContain(logs.Lines, line => line.Contains(secret, StringComparison.Ordinal));
        }
    }
}
