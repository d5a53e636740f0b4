using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Npgsql;
using StatsApi.Tests.Infrastructure;
using StatsApi.Data;

namespace StatsApi.Tests;

public class OutageLogTests(StatsApiFactory app) : IClassFixture<StatsApiFactory>
{
    [Fact]
    public async Task AnOutageIsLoggedOnceAnIntervalWhateverTheNumberOfRequestsItFails()
    {
        await using var instance = app.CreateRestarted();
        var handler = instance.Services.GetServices<IExceptionHandler>().OfType<DatabaseUnavailable>().Single();
        var outage = new NpgsqlException("connect failed", new System.Net.Sockets.SocketException());

        for (var i = 0; i < 50; i++)
        {
            var http = new DefaultHttpContext { RequestServices = instance.Services };
            http.Response.Body = new MemoryStream();
            Assert.True(await handler.TryHandleAsync(http, outage, CancellationToken.None));
            Assert.Equal(503, http.Response.StatusCode);
        }

        var errors = instance.Logs.Entries.Where(e => e.Category.EndsWith(nameof(DatabaseUnavailable), StringComparison.Ordinal) && e.Level == LogLevel.Error).ToList();
        Assert.Single(errors);
        Assert.Same(outage, errors[0].Exception);
    }
}
