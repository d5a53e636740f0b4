using Dapper;
using Npgsql;
using StatsApi.Data;
using StatsApi.Http;
using StatsApi.Tests.Infrastructure;

namespace StatsApi.Tests;

public class WriteConflictTests(StatsApiFactory app) : IClassFixture<StatsApiFactory>
{
    [Theory]
    [InlineData(PostgresErrorCodes.DeadlockDetected, DatabaseUnavailable.Verdict.WriteConflict)]
    [InlineData(PostgresErrorCodes.SerializationFailure, DatabaseUnavailable.Verdict.WriteConflict)]
    [InlineData(PostgresErrorCodes.AdminShutdown, DatabaseUnavailable.Verdict.Outage)]
    [InlineData(PostgresErrorCodes.UniqueViolation, DatabaseUnavailable.Verdict.NotOurs)]
    public void ADeadlockIsAWriteConflictNeverAnOutage(string sqlState, DatabaseUnavailable.Verdict verdict)
    {
        var exception = new PostgresException("conflict", "ERROR", "ERROR", sqlState);

        Assert.Equal(verdict, DatabaseUnavailable.Judge(exception));
    }

    [Fact]
    public async Task TwoWritesLockingRowsInOppositeOrdersBothSucceedThroughTheRetries()
    {
        var writes = app.Services.GetRequiredService<WriteTransactions>();
        await using (var setup = await app.DataSource.OpenConnectionAsync())
        {
            await setup.ExecuteAsync("create table if not exists deadlock_probe (id int primary key, n int not null); insert into deadlock_probe values (1, 0), (2, 0) on conflict do nothing");
        }
        using var bothHoldOne = new Barrier(2);

        async Task<int> WriteAsync(int first, int second)
        {
            var attempts = 0;
            await writes.RunAsync(async (connection, transaction, cancellationToken) =>
            {
                attempts++;
                await connection.ExecuteAsync("update deadlock_probe set n = n + 1 where id = @first", new { first }, transaction);
                if (attempts == 1)
                {
                    // Both transactions hold one row and then ask for the other's: PostgreSQL aborts one of them.
                    bothHoldOne.SignalAndWait(TimeSpan.FromSeconds(10), cancellationToken);
                }
                await connection.ExecuteAsync("update deadlock_probe set n = n + 1 where id = @second", new { second }, transaction);
                return 0;
            }, CancellationToken.None);
            return attempts;
        }

        var attempts = await Task.WhenAll(Task.Run(() => WriteAsync(1, 2)), Task.Run(() => WriteAsync(2, 1)));

        Assert.Contains(attempts, a => a > 1);
        await using var connection = await app.DataSource.OpenConnectionAsync();
        Assert.Equal(4, await connection.ExecuteScalarAsync<int>("select sum(n) from deadlock_probe"));
    }

    [Theory]
    [InlineData(PostgresErrorCodes.ForeignKeyViolation, "attendance_records_school_id_lesson_id_fkey", "reference_changed", "lesson_id")]
    [InlineData(PostgresErrorCodes.UniqueViolation, "courses_school_id_code_key", "duplicate", "code")]
    [InlineData(PostgresErrorCodes.UniqueViolation, "users_email", "duplicate", "email")]
    public async Task AConstraintTheDatabaseEnforcedIsA409NamingTheField(string sqlState, string constraint, string errorCode, string field)
    {
        var handler = app.Services.GetServices<Microsoft.AspNetCore.Diagnostics.IExceptionHandler>().OfType<ConstraintViolations>().Single();
        var http = new Microsoft.AspNetCore.Http.DefaultHttpContext { RequestServices = app.Services };
        http.Response.Body = new MemoryStream();
        var violation = new PostgresException("violation", "ERROR", "ERROR", sqlState, constraintName: constraint);

        Assert.True(await handler.TryHandleAsync(http, violation, CancellationToken.None));

        Assert.Equal(409, http.Response.StatusCode);
        http.Response.Body.Position = 0;
        var problem = await System.Text.Json.JsonDocument.ParseAsync(http.Response.Body);
        Assert.Equal(errorCode, problem.RootElement.GetProperty("error_code").GetString());
        Assert.True(problem.RootElement.GetProperty("errors").TryGetProperty(field, out _));
    }
}
