using System.Net;
using StatsApi.Tests.Infrastructure;

namespace StatsApi.Tests;

public class HttpConventionTests(StatsApiFactory app) : IClassFixture<StatsApiFactory>
{
    [Fact]
    public async Task ASaneCallerRequestIdIsEchoedAndAnInsaneOneReplaced()
    {
        var client = app.CreateClient();
        using var sane = new HttpRequestMessage(HttpMethod.Get, "/health/live") { Headers = { { "X-Request-Id", "req-42.abc" } } };
        using var insane = new HttpRequestMessage(HttpMethod.Get, "/health/live");
        insane.Headers.TryAddWithoutValidation("X-Request-Id", "<script>" + new string('x', 300));

        var echoed = await client.SendAsync(sane);
        var replaced = await client.SendAsync(insane);

        Assert.Equal("req-42.abc", echoed.Headers.GetValues("X-Request-Id").Single());
        Assert.Matches("^[A-Za-z0-9]{32}$", replaced.Headers.GetValues("X-Request-Id").Single());
    }

    [Fact]
    public async Task EveryResponseCarriesARequestIdEvenErrors()
    {
        var client = app.CreateClient();
        foreach (var path in new[] { "/health/live", "/no/such/route", "/stats/v1/attendance/summary", "/.well-known/jwks.json" })
        {
            var response = await client.GetAsync(path);
            Assert.False(string.IsNullOrEmpty(response.Headers.GetValues("X-Request-Id").Single()), path);
        }
    }

    [Fact]
    public async Task AnUnknownRouteIsAProblem404()
    {
        var response = await app.CreateClient().GetAsync("/stats/v1/nothing-here");
        await response.AssertProblemAsync(HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task AWrongMethodIsAProblem405()
    {
        var response = await app.CreateClient().DeleteAsync("/oauth/token");
        await response.AssertProblemAsync(HttpStatusCode.MethodNotAllowed, "method_not_allowed");
    }

    [Fact]
    public async Task HealthSaysLiveAndReadyWhenMigrated()
    {
        var client = app.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/ready")).StatusCode);
    }

    [Fact]
    public async Task PlainHttpIsRefusedUnlessBehindATlsProxy()
    {
        await using var direct = app.CreateRestarted(new Dictionary<string, string?> { ["Http:AllowPlainHttp"] = "false" });

        var response = await direct.CreateClient().GetAsync("/health/live");

        await response.AssertProblemAsync(HttpStatusCode.BadRequest, "https_required");
    }

    [Fact]
    public async Task BehindAProxyAClientThatUsedPlainHttpIsRefused()
    {
        var client = app.CreateClient();
        using var clear = new HttpRequestMessage(HttpMethod.Get, "/health/live") { Headers = { { "X-Forwarded-Proto", "http" } } };
        using var tls = new HttpRequestMessage(HttpMethod.Get, "/health/live") { Headers = { { "X-Forwarded-Proto", "https" } } };

        await (await client.SendAsync(clear)).AssertProblemAsync(HttpStatusCode.BadRequest, "https_required");
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(tls)).StatusCode);
    }

    [Fact]
    public async Task SecurityHeadersAreSet()
    {
        var response = await app.CreateClient().GetAsync("/health/live");
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.False(response.Headers.Contains("Server"));
    }

    [Fact]
    public async Task TheApiDocsPageServesSwaggerUi()
    {
        var response = await app.CreateClient().GetAsync("/api-docs/index.html");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("swagger", await response.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
    }
}
