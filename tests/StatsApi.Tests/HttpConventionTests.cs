using System.Net;
using Microsoft.AspNetCore.Http;
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
    public async Task EachRequestIsLoggedOnceWithItsRequestIdAndWithoutItsQuery()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/stats/v1/attendance/summary?school_id=oakwood-primary&from=2026-09-01&to=2026-09-30")
        {
            Headers = { { "X-Request-Id", "req-logged-1" } },
        };

        await app.CreateClient().SendAsync(request);

        var line = Assert.Single(app.Logs.Entries, e =>
            e.Category == typeof(StatsApi.Logging.RequestIdMiddleware).FullName && Equals(e.Properties.GetValueOrDefault("request_id"), "req-logged-1"));
        Assert.StartsWith("GET /stats/v1/attendance/summary answered 401 in ", line.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("oakwood-primary", line.ToString(), StringComparison.Ordinal);
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
        using var clear = new HttpRequestMessage(HttpMethod.Get, "/.well-known/jwks.json") { Headers = { { "X-Forwarded-Proto", "http" } } };
        using var tls = new HttpRequestMessage(HttpMethod.Get, "/.well-known/jwks.json") { Headers = { { "X-Forwarded-Proto", "https" } } };

        await (await client.SendAsync(clear)).AssertProblemAsync(HttpStatusCode.BadRequest, "https_required");
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(tls)).StatusCode);
    }

    [Fact]
    public async Task BehindAProxyASecretSentStraightToThePortGetsNoToken()
    {
        var credentials = await app.CreateClientAsync(["oakwood-primary"]);
        // No proxy in between: plain HTTP to the service's own port, with no X-Forwarded-Proto.
        using var direct = app.Server.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/oauth/token")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "client_credentials" }),
        };
        request.Headers.Authorization = StatsApiFactory.BasicAuth(credentials.Client.ClientId, credentials.ClientSecret);

        var response = await direct.SendAsync(request);

        await response.AssertProblemAsync(HttpStatusCode.BadRequest, "https_required");
    }

    [Theory]
    [InlineData("203.0.113.7")]
    [InlineData("127.0.0.1")]
    public async Task BehindAProxyOnlyTheNamedProxyIsBelievedWhenItSaysHttps(string remoteAddress)
    {
        var context = await SendAsHttpsFromAsync(remoteAddress, "/.well-known/jwks.json");

        Assert.Equal(StatusCodes.Status400BadRequest, context.Response.StatusCode);
        Assert.Contains("https_required", await new StreamReader(context.Response.Body).ReadToEndAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task BehindAProxyHttpsReportedByTheNamedProxyIsServedWithHsts()
    {
        var context = await SendAsHttpsFromAsync(StatsApiFactory.ProxyAddress, "/.well-known/jwks.json");

        Assert.Equal(StatusCodes.Status200OK, context.Response.StatusCode);
        Assert.StartsWith("max-age=", context.Response.Headers.StrictTransportSecurity.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task BehindAProxyHealthProbesAnswerPlainHttpStraightToThePort()
    {
        using var direct = app.Server.CreateClient();

        Assert.Equal(HttpStatusCode.OK, (await direct.GetAsync("/health/live")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await direct.GetAsync("/health/ready")).StatusCode);
    }

    [Fact]
    public async Task ProxyModeWithoutANamedProxyRefusesToStart()
    {
        var (exit, _, error) = await StatsApiProcess.RunAsync(new Dictionary<string, string?>
        {
            ["ConnectionStrings__Default"] = app.ConnectionString,
            ["Http__AllowPlainHttp"] = "true",
            ["Http__TrustedProxies__0"] = null,
        });

        Assert.Equal(1, exit);
        var line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("Http:TrustedProxies", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheApiDocsPageKeepsAuthorizationInMemoryUnlessConfigured()
    {
        await using var persisting = app.CreateRestarted(new Dictionary<string, string?> { ["ApiDocs:PersistAuthorization"] = "true" });

        Assert.DoesNotContain("\"persistAuthorization\":true", await SwaggerUiConfigAsync(app), StringComparison.Ordinal);
        Assert.Contains("\"persistAuthorization\":true", await SwaggerUiConfigAsync(persisting), StringComparison.Ordinal);
    }

    /// <summary>The page and the script that carries its configuration, as the browser loads them.</summary>
    private static async Task<string> SwaggerUiConfigAsync(StatsApiFactory factory)
    {
        var client = factory.CreateClient();
        var page = await client.GetStringAsync("/api-docs/index.html");
        var script = await client.GetStringAsync("/api-docs/index.js");
        Assert.Contains("index.js", page, StringComparison.Ordinal);
        return page + script;
    }

    /// <summary>A request as it arrives from <paramref name="remoteAddress"/>, claiming the client used HTTPS.</summary>
    private Task<HttpContext> SendAsHttpsFromAsync(string remoteAddress, string path) =>
        app.Server.SendAsync(context =>
        {
            context.Connection.RemoteIpAddress = IPAddress.Parse(remoteAddress);
            context.Request.Method = HttpMethods.Get;
            context.Request.Host = new HostString("statsapi.test");
            context.Request.Path = path;
            context.Request.Headers["X-Forwarded-Proto"] = "https";
        });

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
