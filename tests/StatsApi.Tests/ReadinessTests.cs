using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using StatsApi.Tests.Infrastructure;
using StatsApi.Health;

namespace StatsApi.Tests;

/// <summary>The service over a database it can be cut off from, on a clock the test moves.</summary>
public sealed class ManualClockFactory : OrdinaryRoleFactory
{
    public ManualClock Clock { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services => services.AddSingleton<TimeProvider>(Clock));
    }
}

public class ReadinessTests(ManualClockFactory app) : IClassFixture<ManualClockFactory>
{
    [Fact]
    public async Task TheReadinessAnswerIsKeptForAMomentThenTheDatabaseIsAskedAgain()
    {
        var client = app.CreateClient();
        var almost = DatabaseReadyCheck.AnswerLifetime - TimeSpan.FromMilliseconds(100);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/ready")).StatusCode);

        await app.RefuseConnectionsAsync(true);
        try
        {
            app.Clock.Advance(almost);
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/ready")).StatusCode);
            app.Clock.Advance(TimeSpan.FromMilliseconds(200));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync("/health/ready")).StatusCode);
        }
        finally
        {
            await app.RefuseConnectionsAsync(false);
        }

        app.Clock.Advance(almost);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync("/health/ready")).StatusCode);
        app.Clock.Advance(TimeSpan.FromMilliseconds(200));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/ready")).StatusCode);
    }
}
