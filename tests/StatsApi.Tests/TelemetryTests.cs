using System.Net;
using System.Net.Http.Headers;
using OpenTelemetry.Trace;
using StatsApi.Tests.Infrastructure;
using StatsApi.Telemetry;
using StatsApi.Tokens;

namespace StatsApi.Tests;

/// <summary>The service with its Prometheus listener on a loopback port of its own, and an OTLP collector to export to.</summary>
public class TelemetryFactory : StatsApiFactory
{
    public OtlpReceiver Collector { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Collector = await OtlpReceiver.StartAsync();
        With("Telemetry:MetricsUrls:0", "http://127.0.0.1:0");
        With(TelemetryServices.OtlpEndpoint, Collector.Endpoint);
        With("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf");
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await Collector.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    public Uri MetricsAddress => new(Services.GetRequiredService<MetricsListener>().Addresses.Single() + MetricsListener.Path);
}

[LongRunning(10)]
public class TelemetryTests(TelemetryFactory app) : IClassFixture<TelemetryFactory>
{
    private const string Summary = "/stats/v1/attendance/summary?school_id=oakwood-primary&from=2026-09-01&to=2026-09-30";

    [Fact]
    public async Task MetricsShowRequestsTokensAndAuthFailuresOnTheManagementPortOnly()
    {
        var client = await app.CreateClientForSchoolsAsync("oakwood-primary");
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(Summary)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync(Summary.Replace("oakwood-primary", "ravenscroft-high", StringComparison.Ordinal))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.CreateClient().GetAsync(Summary)).StatusCode);

        using var scraper = new HttpClient();
        await ScrapeUntilAsync(scraper,
            line => line.StartsWith("http_server_request_duration_seconds_count{", StringComparison.Ordinal)
                && line.Contains("http_route=\"/stats/v1/attendance/summary\"", StringComparison.Ordinal)
                && line.Contains("http_response_status_code=\"200\"", StringComparison.Ordinal),
            line => line.StartsWith("statsapi_tokens_issued_total{", StringComparison.Ordinal)
                && line.Contains("grant=\"client_credentials\"", StringComparison.Ordinal),
            line => line.StartsWith("statsapi_auth_failures_total{", StringComparison.Ordinal)
                && line.Contains("error_code=\"school_not_approved\"", StringComparison.Ordinal) && line.Contains("status=\"403\"", StringComparison.Ordinal),
            line => line.StartsWith("statsapi_auth_failures_total{", StringComparison.Ordinal)
                && line.Contains("error_code=\"missing_token\"", StringComparison.Ordinal) && line.Contains("status=\"401\"", StringComparison.Ordinal));
        // The API's own address has no /metrics, and the management port nothing else.
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/metrics")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await scraper.GetAsync(new Uri(app.MetricsAddress, Summary))).StatusCode);
    }

    [Fact]
    public async Task AFailedTokenRequestCountsAsAnAuthFailureByItsOAuthError()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/oauth/token")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "client_credentials" }),
        };
        request.Headers.Authorization = StatsApiFactory.BasicAuth("nobody", "wrong");
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.CreateClient().SendAsync(request)).StatusCode);

        using var scraper = new HttpClient();
        await ScrapeUntilAsync(scraper, line => line.StartsWith("statsapi_auth_failures_total{", StringComparison.Ordinal)
            && line.Contains("error_code=\"invalid_client\"", StringComparison.Ordinal));
    }

    // The server's span ends just after its response is sent: flush again before concluding it is missing.
    private async Task<byte[]> ExportedAsync(Func<byte[], bool> holds)
    {
        byte[]? found = null;
        await Poll.UntilAsync(() =>
        {
            Assert.True(app.Services.GetRequiredService<TracerProvider>().ForceFlush(10_000));
            found = app.Collector.Traces.FirstOrDefault(holds);
            return Task.FromResult(found is not null);
        });
        return found ?? throw new Xunit.Sdk.XunitException("No exported trace holds what was looked for.");
    }

    // A scrape may be answered from the exporter's short cache, and a request's duration is recorded
    // just after its response: so scrape again before concluding a series is missing.
    private async Task ScrapeUntilAsync(HttpClient scraper, params Func<string, bool>[] series)
    {
        var lines = Array.Empty<string>();
        await Poll.UntilAsync(async () =>
        {
            lines = (await scraper.GetStringAsync(app.MetricsAddress)).Split('\n');
            return series.All(s => lines.Any(s));
        });
        var missing = series.Count(s => !lines.Any(s));
        Assert.True(missing == 0, $"{missing} of {series.Length} series were not scraped within {Poll.Patience}. The last scrape's request and StatsApi series:\n"
            + string.Join('\n', lines.Where(l => l.StartsWith("http_server_request_duration_seconds_count", StringComparison.Ordinal)
                || l.StartsWith("statsapi_", StringComparison.Ordinal))));
    }

    [Fact]
    public async Task ARequestIdWithoutACallersIsTheTraceIdTheCollectorReceives()
    {
        var client = await app.CreateClientForSchoolsAsync("oakwood-primary");

        var response = await client.GetAsync(Summary);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var requestId = response.Headers.GetValues("X-Request-Id").Single();

        // An OTLP span carries its trace id as 16 raw bytes.
        var traceId = Convert.FromHexString(requestId);
        await ExportedAsync(body => body.AsSpan().IndexOf(traceId) >= 0);
    }

    [Fact]
    public async Task ACallersOwnRequestIdIsATagOnTheTrace()
    {
        var client = await app.CreateClientForSchoolsAsync("oakwood-primary");
        var callers = "caller-" + Guid.NewGuid().ToString("N");
        using var request = new HttpRequestMessage(HttpMethod.Get, Summary) { Headers = { { "X-Request-Id", callers } } };

        var response = await client.SendAsync(request);
        Assert.Equal(callers, response.Headers.GetValues("X-Request-Id").Single());

        var exported = await ExportedAsync(body => body.AsSpan().IndexOf(System.Text.Encoding.UTF8.GetBytes(callers)) >= 0);
        Assert.True(exported.AsSpan().IndexOf(System.Text.Encoding.UTF8.GetBytes(StatsApi.Logging.RequestIdMiddleware.RequestIdTag)) >= 0);
    }

    [Fact]
    public async Task TheRequestLineNamesClientSchoolAndStatusButNoSecretOrToken()
    {
        var credentials = await app.CreateClientAsync(["oakwood-primary"], [Scopes.AttendanceRead]);
        var token = await app.GetTokenAsync(credentials);
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);

        var response = await client.GetAsync(Summary);

        var requestId = response.Headers.GetValues("X-Request-Id").Single();
        var line = Assert.Single(app.Logs.Entries, e =>
            e.Category == typeof(StatsApi.Logging.RequestIdMiddleware).FullName && Equals(e.Properties.GetValueOrDefault("request_id"), requestId));
        Assert.Equal(credentials.Client.ClientId, line.Properties["client_id"]);
        Assert.Equal("oakwood-primary", line.Properties["school_id"]);
        Assert.Equal(200, line.Properties["Status"]);
        Assert.DoesNotContain(app.Logs.Lines, l => l.Contains(credentials.ClientSecret, StringComparison.Ordinal) || l.Contains(token, StringComparison.Ordinal));
    }

    [Fact]
    public async Task TierLimitDecisionsAndBothKindsOf429AreCountedOnTheMetricsPort()
    {
        await using var limited = app.CreateRestarted(RateLimitSettings.Of(60, ("free", 1, 100), ("standard", 100, 12)));
        var (_, free) = await limited.ClientOfTierAsync("free", "oakwood-primary");
        var (_, standard) = await limited.ClientOfTierAsync("standard", "oakwood-primary");
        Assert.Equal(HttpStatusCode.OK, (await free.GetAsync(Summary)).StatusCode);
        await (await free.GetAsync(Summary)).AssertProblemAsync(HttpStatusCode.TooManyRequests, "rate_limited");
        // The summary costs 5: two fit in the cost quota of 12, a third does not.
        Assert.Equal(HttpStatusCode.OK, (await standard.GetAsync(Summary)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await standard.GetAsync(Summary)).StatusCode);
        await (await standard.GetAsync(Summary)).AssertProblemAsync(HttpStatusCode.TooManyRequests, "quota_exceeded");

        using var scraper = new HttpClient();
        var metrics = new Uri(limited.Services.GetRequiredService<MetricsListener>().Addresses.Single() + MetricsListener.Path);
        bool Series(string[] lines, string name, params string[] tags) =>
            lines.Any(l => l.StartsWith(name + "{", StringComparison.Ordinal) && tags.All(t => l.Contains(t, StringComparison.Ordinal)) && !l.EndsWith(" 0", StringComparison.Ordinal));
        var lines = Array.Empty<string>();
        // A scrape may be answered from the exporter's short cache.
        if (await Poll.UntilAsync(async () =>
        {
            lines = (await scraper.GetStringAsync(metrics)).Split('\n');
            return Series(lines, "statsapi_rate_limit_rejections_total", "reason=\"requests\"") &&
                Series(lines, "statsapi_rate_limit_rejections_total", "reason=\"cost\"") &&
                Series(lines, "statsapi_rate_limit_decisions_total", "policy=\"free\"", "outcome=\"permitted\"") &&
                Series(lines, "statsapi_rate_limit_decisions_total", "policy=\"free\"", "outcome=\"rejected\"") &&
                Series(lines, "statsapi_rate_limit_decisions_total", "policy=\"standard\"", "outcome=\"rejected\"");
        }))
        {
            return;
        }
        Assert.Fail("The rate-limit series are missing:\n" + string.Join("\n", lines.Where(l => l.Contains("rate_limit", StringComparison.Ordinal))));
    }
}
