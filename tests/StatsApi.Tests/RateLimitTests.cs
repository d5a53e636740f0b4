using System.Net;
using Dapper;
using StatsApi.Tests.Infrastructure;
using StatsApi.Tokens;

namespace StatsApi.Tests;

/// <summary>Quotas are counted on a clock the test moves, so a busy machine's pauses free up nothing.</summary>
public class RateLimitTests(StatsApiFactory app) : IClassFixture<StatsApiFactory>
{
    private readonly ManualClock _clock = new();

    private StatsApiFactory Limited(IDictionary<string, string?> settings) =>
        app.CreateRestarted(settings).WithServices(s => s.AddSingleton<TimeProvider>(_clock));

    private const string School = "oakwood-primary";
    private const string Lookup = $"/v1/schools/{School}";
    private const string Summary = $"/stats/v1/attendance/summary?school_id={School}&from=2026-09-01&to=2026-09-30";

    [Fact]
    public async Task AFreeClientIsRefusedWithRetryAfterWhileAPremiumClientIsServed()
    {
        await using var limited = Limited(RateLimitSettings.Of(60, ("free", 3, 100), ("premium", 100, 1000)));
        var (_, free) = await limited.ClientOfTierAsync("free", School);
        var (_, premium) = await limited.ClientOfTierAsync("premium", School);

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await free.GetAsync(Lookup)).StatusCode);
        }
        var refused = await free.GetAsync(Lookup);

        await refused.AssertProblemAsync(HttpStatusCode.TooManyRequests, "rate_limited");
        // Three requests a minute free one every 20 seconds: the fourth fits 20 seconds after the first.
        var retryAfter = refused.Headers.RetryAfter?.Delta;
        Assert.Equal(TimeSpan.FromSeconds(20), retryAfter);
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await premium.GetAsync(Lookup)).StatusCode);
        }
        Assert.Equal(HttpStatusCode.TooManyRequests, (await free.GetAsync(Lookup)).StatusCode);
    }

    [Fact]
    public async Task AQuotaFreesUpAfterRetryAfterAndIsWholeAgainAfterAWindow()
    {
        // Two requests in six seconds: one frees up every three.
        await using var limited = Limited(RateLimitSettings.Of(6, ("free", 2, 100)));
        var (_, free) = await limited.ClientOfTierAsync("free", School);
        await (await limited.ClientOfTierAsync("premium", School)).Http.GetAsync(Lookup);

        Assert.Equal(HttpStatusCode.OK, (await free.GetAsync(Lookup)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await free.GetAsync(Lookup)).StatusCode);
        var refused = await free.GetAsync(Lookup);
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        var retryAfter = refused.Headers.RetryAfter!.Delta!.Value;
        Assert.Equal(TimeSpan.FromSeconds(3), retryAfter);

        _clock.Advance(retryAfter);
        Assert.Equal(HttpStatusCode.OK, (await free.GetAsync(Lookup)).StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await free.GetAsync(Lookup)).StatusCode);

        _clock.Advance(TimeSpan.FromSeconds(6));
        var whole = await free.GetAsync(Lookup);
        Assert.Equal(HttpStatusCode.OK, whole.StatusCode);
        Assert.Contains("\"requests\";r=1;", whole.Header("RateLimit"), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await free.GetAsync(Lookup)).StatusCode);
    }

    [Fact]
    public async Task TheCostQuotaCountsEachOperationsCostAndTheHeadersSayWhatIsLeft()
    {
        await using var limited = Limited(RateLimitSettings.Of(60, ("standard", 100, 12)));
        var (_, client) = await limited.ClientOfTierAsync("standard", School);

        var first = await client.GetAsync(Summary);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal("\"requests\";q=100;w=60, \"cost\";q=12;w=60", first.Header("RateLimit-Policy"));
        // A request frees up every 0.6 s, a unit of cost every 5 s: the summary's 5 are back in 25 s.
        Assert.Equal("\"requests\";r=99;t=1, \"cost\";r=7;t=25", first.Header("RateLimit"));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(Summary)).StatusCode);

        var refused = await client.GetAsync(Summary);
        var problem = await refused.AssertProblemAsync(HttpStatusCode.TooManyRequests, "quota_exceeded");
        Assert.Contains("costs 5", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        var retryAfter = (long)refused.Headers.RetryAfter!.Delta!.Value.TotalSeconds;
        // Two units are left; three more free up in 15 s.
        Assert.Equal(15, retryAfter);
        Assert.Equal("\"requests\";q=100;w=60, \"cost\";q=12;w=60", refused.Header("RateLimit-Policy"));
        Assert.Matches($"^\"requests\";r=98;t=\\d+, \"cost\";r=2;t={retryAfter}$", refused.Header("RateLimit"));

        var lookup = await client.GetAsync(Lookup);
        Assert.Equal(HttpStatusCode.OK, lookup.StatusCode);
        Assert.Matches("^\"requests\";r=97;t=\\d+, \"cost\";r=1;t=\\d+$", lookup.Header("RateLimit"));
    }

    [Fact]
    public async Task ErrorsOfALimitedOperationCarryTheHeadersToo()
    {
        await using var limited = Limited(RateLimitSettings.Of(60, ("standard", 100, 100)));
        var (_, client) = await limited.ClientOfTierAsync("standard", School);

        var forbidden = await client.GetAsync("/v1/schools/ravenscroft-high");
        var invalid = await client.GetAsync($"/stats/v1/attendance/summary?school_id={School}&from=someday&to=2026-09-30");

        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        Assert.StartsWith("\"requests\";r=99;", forbidden.Header("RateLimit"), StringComparison.Ordinal);
        Assert.StartsWith("\"requests\";r=98;", invalid.Header("RateLimit"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RequestsWithoutATokenAndSuccessfulTokenRequestsAreNotLimited()
    {
        await using var limited = Limited(RateLimitSettings.Of(60, ("free", 1, 100))
            .With("RateLimits:TokenEndpoint:FailuresPerAddress", "1"));
        var (credentials, _) = await limited.ClientOfTierAsync("free", School);
        var anonymous = limited.CreateClient();

        for (var i = 0; i < 3; i++)
        {
            var health = await anonymous.GetAsync("/health/live");
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
            Assert.Equal("", health.Header("RateLimit"));
            Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/openapi/v1.json")).StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(Lookup)).StatusCode);
            await limited.GetTokenAsync(credentials);
        }
    }

    [Fact]
    public async Task APersonActingThroughAToolHasQuotasOfTheirOwn()
    {
        await using var limited = Limited(RateLimitSettings.Of(60, ("free", 2, 100)));
        await using var connection = await app.DataSource.OpenConnectionAsync();
        var teachers = (await connection.QueryAsync<long>(
            "select user_id from users where school_id = @School and role = 'teacher' order by user_id limit 2", new { School })).ToList();
        var tool = await limited.CreateClientAsync([School], [Scopes.SchoolsRead, Scopes.CoursesRead], "free");
        var first = await limited.ActAsAsync(School, teachers[0], tool);
        var second = await limited.ActAsAsync(School, teachers[1], tool);

        Assert.Equal(HttpStatusCode.OK, (await first.GetAsync(Lookup)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await first.GetAsync(Lookup)).StatusCode);
        await (await first.GetAsync(Lookup)).AssertProblemAsync(HttpStatusCode.TooManyRequests, "rate_limited");

        Assert.Equal(HttpStatusCode.OK, (await second.GetAsync(Lookup)).StatusCode);
        using var own = limited.CreateClient();
        own.DefaultRequestHeaders.Authorization = new("Bearer", await limited.GetTokenAsync(tool));
        Assert.Equal(HttpStatusCode.OK, (await own.GetAsync(Lookup)).StatusCode);
    }

    [Fact]
    public async Task TheDocumentStatesEachOperationsCostAndItsTooManyRequests()
    {
        var document = await (await app.CreateClient().GetAsync("/openapi/v1.json")).JsonAsync();
        var paths = document.GetProperty("paths");
        int CostOf(string path, string method) => paths.GetProperty(path).GetProperty(method).GetProperty("x-rate-limit-cost").GetInt32();

        Assert.Equal(5, CostOf("/stats/v1/attendance/summary", "get"));
        Assert.Equal(10, CostOf("/v1/schools/{school_id}/lessons/{lesson_id}/attendance", "post"));
        Assert.Equal(2, CostOf("/v1/schools/{school_id}/lessons", "get"));
        Assert.Equal(1, CostOf("/v1/schools/{school_id}", "get"));
        var summary = paths.GetProperty("/stats/v1/attendance/summary").GetProperty("get");
        Assert.Contains("a cost of 5", summary.GetProperty("description").GetString(), StringComparison.Ordinal);
        Assert.True(summary.GetProperty("responses").TryGetProperty("429", out _));
        var token = paths.GetProperty("/oauth/token").GetProperty("post");
        Assert.False(token.TryGetProperty("x-rate-limit-cost", out _));
        Assert.True(token.GetProperty("responses").TryGetProperty("429", out _));
        var jwks = paths.GetProperty("/.well-known/jwks.json").GetProperty("get");
        Assert.False(jwks.TryGetProperty("x-rate-limit-cost", out _));
        Assert.False(jwks.GetProperty("responses").TryGetProperty("429", out _));
    }
}

/// <summary>Small quotas over a database the test can make unreachable.</summary>
public sealed class LimitedOrdinaryRoleFactory : OrdinaryRoleFactory
{
    public LimitedOrdinaryRoleFactory()
    {
        foreach (var (key, value) in RateLimitSettings.Of(60, ("standard", 1, 100)))
        {
            With(key, value);
        }
    }
}

public class RateLimitWithoutDatabaseTests(LimitedOrdinaryRoleFactory app) : IClassFixture<LimitedOrdinaryRoleFactory>
{
    [Fact]
    public async Task ARefusedRequestNeedsNoDatabase()
    {
        var client = await app.CreateClientForSchoolsAsync("oakwood-primary");
        const string summary = "/stats/v1/attendance/summary?school_id=oakwood-primary&from=2026-09-01&to=2026-09-30";
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(summary)).StatusCode);

        await app.RefuseConnectionsAsync(true);
        try
        {
            await (await client.GetAsync(summary)).AssertProblemAsync(HttpStatusCode.TooManyRequests, "rate_limited");
        }
        finally
        {
            await app.RefuseConnectionsAsync(false);
        }
    }
}
