using System.Diagnostics;
using System.Net;
using Npgsql;
using StatsApi.Tests.Infrastructure;

namespace StatsApi.Tests;

/// <summary>The service with two database connections at most, so two slow requests take them all.</summary>
public sealed class SmallPoolFactory : StatsApiFactory
{
    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        ConnectionString = new NpgsqlConnectionStringBuilder(ConnectionString) { MaxPoolSize = 2 }.ConnectionString;
    }
}

public class ConnectionPoolTests(SmallPoolFactory app) : IClassFixture<SmallPoolFactory>
{
    private const string Summary = "/stats/v1/attendance/summary?school_id=oakwood-primary&from=2026-09-01&to=2026-09-30";

    [Fact]
    public async Task AnExhaustedPoolAnswers503WithinSecondsAndTheWaitingRequestsStillFinish()
    {
        var client = await app.CreateClientForSchoolsAsync("oakwood-primary");
        // Every summary reads the schools table first: with it locked, each holds its connection and waits.
        await using var schools = await TableLock.TakeAsync(app.ConnectionString, "schools");
        var waiting = new[] { client.GetAsync(Summary), client.GetAsync(Summary) };
        await schools.WaitForWaitersAsync(2);

        var started = Stopwatch.GetTimestamp();
        var refused = await client.GetAsync(Summary);
        var took = Stopwatch.GetElapsedTime(started);

        await refused.AssertProblemAsync(HttpStatusCode.ServiceUnavailable, "database_unavailable");
        Assert.NotNull(refused.Headers.RetryAfter);
        Assert.True(took < TimeSpan.FromSeconds(6), $"The refusal took {took}.");
        await schools.ReleaseAsync();
        Assert.All(await Task.WhenAll(waiting), r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
    }
}
