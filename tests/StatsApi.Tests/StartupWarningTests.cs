using Microsoft.Extensions.Logging;
using StatsApi.Tests.Infrastructure;

namespace StatsApi.Tests;

/// <summary>State that should be shared across instances but cannot be is said at start-up, not found out from the quotas.</summary>
public class StartupWarningTests(StatsApiFactory app) : IClassFixture<StatsApiFactory>
{
    private static bool WarnsOfStateKeptPerInstance(StatsApiFactory instance) =>
        instance.Logs.Entries.Any(e => e.Level == LogLevel.Warning && e.Message.Contains("Redis:Configuration is not set", StringComparison.Ordinal));

    [Fact]
    public async Task AnInstanceBehindAProxyWithoutRedisWarnsThatItCountsQuotasAlone()
    {
        // The factory is configured as a deployment behind a TLS-terminating proxy, without Redis.
        await app.CreateClient().GetAsync("/health/live");
        Assert.True(WarnsOfStateKeptPerInstance(app));
    }

    [Fact]
    public async Task AnInstanceWithRedisDoesNotWarn()
    {
        await using var shared = app.CreateRestarted(new Dictionary<string, string?> { ["Redis:Configuration"] = TestRedis.Configuration });
        await shared.CreateClient().GetAsync("/health/live");
        Assert.False(WarnsOfStateKeptPerInstance(shared));
    }
}
