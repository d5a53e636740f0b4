using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Dapper;
using StatsApi.Tests.Infrastructure;
using StatsApi.Tokens;

namespace StatsApi.Tests;

public class ClientAdminTests(StatsApiFactory app) : IClassFixture<StatsApiFactory>
{
    private Task<HttpClient> PlatformAdminAsync() => app.CreateClientWithScopesAsync([], Scopes.Admin);

    [Fact]
    public async Task AnAdminRegistersWidensRotatesAndRevokesAClient()
    {
        var admin = await PlatformAdminAsync();

        var created = await admin.PostAsync("/v1/admin/clients", Json("""{"name":"District dashboard","tier":"free","schools":["oakwood-primary"],"scopes":["attendance:read"]}"""));

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var credentials = await created.JsonAsync();
        var clientId = credentials.GetProperty("client_id").GetString()!;
        var secret = credentials.GetProperty("client_secret").GetString()!;
        Assert.Matches("^[A-Za-z0-9]{32}$", clientId);
        Assert.Matches("^[A-Za-z0-9]{40}$", secret);
        await using (var connection = await app.DataSource.OpenConnectionAsync())
        {
            Assert.Equal(0, await connection.ExecuteScalarAsync<int>("select count(*) from api_clients where encode(secret_hash, 'escape') like '%' || @secret || '%'", new { secret }));
        }
        var listed = await (await admin.GetAsync("/v1/admin/clients")).Content.ReadAsStringAsync();
        Assert.Contains(clientId, listed, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, listed, StringComparison.Ordinal);

        var widened = await admin.PatchAsync($"/v1/admin/clients/{clientId}", Json("""{"tier":"premium","schools":["oakwood-primary","ravenscroft-high"]}"""));
        Assert.Equal("premium", (await widened.JsonAsync()).GetProperty("tier").GetString());
        var token = await TokenAsync(clientId, secret);
        var integrator = app.CreateClient();
        integrator.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        Assert.Equal(HttpStatusCode.OK, (await integrator.GetAsync("/stats/v1/attendance/summary?school_id=ravenscroft-high&from=2026-09-01&to=2026-09-30")).StatusCode);

        var rotated = await (await admin.PostAsync($"/v1/admin/clients/{clientId}/rotate-secret", null)).JsonAsync();
        var newSecret = rotated.GetProperty("client_secret").GetString()!;
        Assert.NotEqual(secret, newSecret);
        Assert.Equal(HttpStatusCode.Unauthorized, (await TokenResponseAsync(clientId, secret)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await TokenResponseAsync(clientId, newSecret)).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync($"/v1/admin/clients/{clientId}/revoke", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await TokenResponseAsync(clientId, newSecret)).StatusCode);
    }

    [Fact]
    public async Task ABadRegistrationIs400NamingEachFieldAndOnlyTheAdminScopeMayRegister()
    {
        var admin = await PlatformAdminAsync();

        var problem = await (await admin.PostAsync("/v1/admin/clients", Json("""{"name":"","tier":"gold","schools":["no-such-school"],"scopes":["everything"]}""")))
            .AssertProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        foreach (var field in new[] { "name", "tier", "schools", "scopes" })
        {
            Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), field);
        }

        var integrator = await app.CreateClientWithScopesAsync(["oakwood-primary"], Scopes.UsersWrite);
        await (await integrator.GetAsync("/v1/admin/clients")).AssertProblemAsync(HttpStatusCode.Forbidden, "insufficient_scope");
        await (await admin.PatchAsJsonAsync("/v1/admin/clients/unknown", new { tier = "free" })).AssertProblemAsync(HttpStatusCode.NotFound, "client_not_found");
    }

    private static StringContent Json(string json) => new(json, System.Text.Encoding.UTF8, "application/json");

    private async Task<HttpResponseMessage> TokenResponseAsync(string clientId, string secret)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/oauth/token")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "client_credentials" }),
        };
        request.Headers.Authorization = StatsApiFactory.BasicAuth(clientId, secret);
        return await app.CreateClient().SendAsync(request);
    }

    private async Task<string> TokenAsync(string clientId, string secret) =>
        (await (await TokenResponseAsync(clientId, secret)).JsonAsync()).GetProperty("access_token").GetString()!;
}
