using System.Net;
using Microsoft.Extensions.Logging;
using StatsApi.Tests.Infrastructure;
using StatsApi.RateLimiting;

namespace StatsApi.Tests;

/// <summary>Quotas kept in Redis: one quota for all instances, and no failed request when Redis goes away.</summary>
public class SharedRateLimitTests(StatsApiFactory app) : IClassFixture<StatsApiFactory>
{
    private const string School = "oakwood-primary";
    private const string Lookup = $"/v1/schools/{School}";

    [Fact]
    public async Task TwoInstancesOnOneRedisEnforceOneQuota()
    {
        // A call that outlasts the default 100 ms on a loaded machine is counted in that instance's memory
        // instead; Redis is up throughout here, so only a slow answer could split the quota.
        var settings = RateLimitSettings.Of(60, ("free", 4, 100)).With("Redis:Configuration", TestRedis.Configuration)
            .With("Redis:TimeoutMilliseconds", "5000");
        await using var first = app.CreateRestarted(settings);
        await using var second = app.CreateRestarted(settings);
        var (credentials, viaFirst) = await first.ClientOfTierAsync("free", School);
        using var viaSecond = second.CreateClient();
        viaSecond.DefaultRequestHeaders.Authorization = viaFirst.DefaultRequestHeaders.Authorization;

        var answers = new List<HttpResponseMessage>
        {
            await viaFirst.GetAsync(Lookup), await viaSecond.GetAsync(Lookup), await viaFirst.GetAsync(Lookup), await viaSecond.GetAsync(Lookup),
        };

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.StatusCode));
        Assert.Equal(["3", "2", "1", "0"], answers.Select(a => RemainingRequests(a)));
        await (await viaFirst.GetAsync(Lookup)).AssertProblemAsync(HttpStatusCode.TooManyRequests, "rate_limited");
        await (await viaSecond.GetAsync(Lookup)).AssertProblemAsync(HttpStatusCode.TooManyRequests, "rate_limited");
        Assert.True(await TestRedis.HoldsQuotaAsync(TestRedis.Configuration, $"{{{credentials.Client.ClientId}}}:requests"));
    }

    [Fact]
    public async Task WhenRedisStopsNoRequestFailsTheInstanceCountsInMemoryAndTheSharedQuotaResumesWhenItReturns()
    {
        await using var redis = new RedisServer();
        await redis.StartAsync();
        await using var limited = app.CreateRestarted(RateLimitSettings.Of(60, ("free", 3, 100))
            .With("Redis:Configuration", redis.Configuration)
            .With("Redis:RetrySeconds", "1")
            // The first script call of a cold instance on a loaded machine can outlast the default 100 ms and
            // be counted in memory; a stopped Redis fails at once whatever the timeout.
            .With("Redis:TimeoutMilliseconds", "2000"));
        var (credentials, client) = await limited.ClientOfTierAsync("free", School);
        var key = $"{{{credentials.Client.ClientId}}}:requests";
        var shared = await client.GetAsync(Lookup);
        Assert.Equal(HttpStatusCode.OK, shared.StatusCode);
        Assert.True(await TestRedis.HoldsQuotaAsync(redis.Configuration, key));

        await redis.StopAsync();
        var answers = new List<HttpResponseMessage>();
        for (var i = 0; i < 6; i++)
        {
            answers.Add(await client.GetAsync(Lookup));
        }

        // This instance's memory holds a quota of its own, whole when the outage began: three more, then 429.
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests],
            answers.Select(a => a.StatusCode));
        Assert.All(answers, a => Assert.NotEqual("", a.Header("RateLimit")));
        var warning = Assert.Single(limited.Logs.Entries, e => e.Category == typeof(QuotaStore).FullName && e.Level == LogLevel.Warning);
        Assert.Contains("Redis is unreachable", warning.Message, StringComparison.Ordinal);

        await redis.StartAsync();
        var resumed = await Poll.UntilAsync(async () => (await client.GetAsync(Lookup)).StatusCode == HttpStatusCode.OK);

        // The new Redis is empty: the quota it keeps is whole, unlike the one this instance spent in memory.
        Assert.True(resumed, "Requests were still counted in memory 20 seconds after Redis returned.");
        Assert.True(await TestRedis.HoldsQuotaAsync(redis.Configuration, key));
        Assert.Single(limited.Logs.Entries, e => e.Category == typeof(QuotaStore).FullName && e.Message.Contains("answers again", StringComparison.Ordinal));
        Assert.Single(limited.Logs.Entries, e => e.Category == typeof(QuotaStore).FullName && e.Level == LogLevel.Warning);
    }

    private static string RemainingRequests(HttpResponseMessage response) =>
        System.Text.RegularExpressions.Regex.Match(response.Header("RateLimit"), "^\"requests\";r=(\\d+);").Groups[1].Value;

}
