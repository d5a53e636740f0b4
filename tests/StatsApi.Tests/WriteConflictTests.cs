using System.Net.Sockets;
using System.Text.Json;
using Dapper;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Npgsql;
using StatsApi.Tests.Infrastructure;
using StatsApi.Data;

namespace StatsApi.Tests;

public class WriteConflictTests(StatsApiFactory app) : IClassFixture<StatsApiFactory>
{
    [Fact]
    public async Task TheRetryHelperTurnsADeadlockIntoTwoSuccesses()
    {
        var writes = app.Services.GetRequiredService<WriteTransactions>();
        var bothHoldTheirFirstRow = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var holding = 0;
        var attempts = 0;

        // Each locks one school, waits until the other holds its own, then asks for the other's: a deadlock,
        // which PostgreSQL breaks by aborting one of them.
        Task<string> LockBothAsync(string first, string second) => writes.RunAsync(async (connection, transaction, cancellationToken) =>
        {
            var attempt = Interlocked.Increment(ref attempts);
            await connection.ExecuteAsync("select 1 from schools where school_id = @first for update", new { first }, transaction);
            if (Interlocked.Increment(ref holding) == 2)
            {
                bothHoldTheirFirstRow.SetResult();
            }
            await bothHoldTheirFirstRow.Task.WaitAsync(TimeSpan.FromSeconds(10), cancellationToken);
            await connection.ExecuteAsync("select 1 from schools where school_id = @second for update", new { second }, transaction);
            return first;
        }, CancellationToken.None);

        var results = await Task.WhenAll(LockBothAsync("oakwood-primary", "ravenscroft-high"), LockBothAsync("ravenscroft-high", "oakwood-primary"));

        Assert.Equal(["oakwood-primary", "ravenscroft-high"], results);
        Assert.Equal(3, attempts);
    }

    [Theory]
    [InlineData(PostgresErrorCodes.DeadlockDetected)]
    [InlineData(PostgresErrorCodes.SerializationFailure)]
    public async Task AConflictThatEscapesItsRetriesIs409WriteConflictAndNeverAnOutage(string sqlState)
    {
        var conflict = new PostgresException("conflict", "ERROR", "ERROR", sqlState);
        Assert.True(conflict.IsTransient);
        Assert.Equal(DatabaseFailure.WriteConflict, DatabaseUnavailable.Classify(conflict));

        var handler = app.Services.GetServices<IExceptionHandler>().OfType<DatabaseUnavailable>().Single();
        var context = new DefaultHttpContext { RequestServices = app.Services };
        context.Response.Body = new MemoryStream();
        Assert.True(await handler.TryHandleAsync(context, conflict, CancellationToken.None));

        Assert.Equal(StatusCodes.Status409Conflict, context.Response.StatusCode);
        Assert.Equal("1", context.Response.Headers.RetryAfter.ToString());
        Assert.StartsWith("application/problem+json", context.Response.ContentType, StringComparison.Ordinal);
        context.Response.Body.Position = 0;
        var problem = (await JsonDocument.ParseAsync(context.Response.Body)).RootElement;
        Assert.Equal("write_conflict", problem.GetProperty("error_code").GetString());
        Assert.Contains("retried", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void AnUnreachableDatabaseIsAnOutageAndABugIsNeither()
    {
        Assert.Equal(DatabaseFailure.Outage, DatabaseUnavailable.Classify(new NpgsqlException("connect failed", new SocketException())));
        Assert.Equal(DatabaseFailure.Outage, DatabaseUnavailable.Classify(new PostgresException("too many", "FATAL", "FATAL", PostgresErrorCodes.TooManyConnections)));
        Assert.Equal(DatabaseFailure.None, DatabaseUnavailable.Classify(new PostgresException("syntax", "ERROR", "ERROR", PostgresErrorCodes.SyntaxError)));
        Assert.Equal(DatabaseFailure.None, DatabaseUnavailable.Classify(new InvalidOperationException()));
    }
}
