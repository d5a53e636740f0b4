using System.Net;
using Dapper;
using StatsApi.Privacy;
using StatsApi.Tests.Infrastructure;
using StatsApi.Tokens;

namespace StatsApi.Tests;

/// <summary>A service that keeps marks and audit events for twelve months, on a clock the tests move.</summary>
public sealed class RetentionFactory : StatsApiFactory
{
    public ManualClock Clock { get; } = new();

    public RetentionFactory()
    {
        With("Retention:MarksMonths", "12");
        With("Retention:AuditMonths", "12");
        With("Retention:BatchLessons", "500");
        WithServices(services => services.AddSingleton<TimeProvider>(Clock));
    }
}

public class RetentionTests(RetentionFactory app) : IClassFixture<RetentionFactory>
{
    private const string School = "oakwood-primary";
    private const string Term = $"school_id={School}&from=2026-09-01&to=2026-12-31";

    private static readonly string[] Groupings = ["", "&group_by=day", "&group_by=week", "&group_by=month", "&group_by=course"];

    private RetentionJob Job => app.Services.GetRequiredService<RetentionJob>();

    // The job's own round at start-up may be running: a round of the test's waits for the lock to be free.
    private async Task<RetentionRound> RoundAsync()
    {
        for (var attempt = 0; attempt < 600; attempt++)
        {
            if (await Job.RunAsync(CancellationToken.None) is { } round)
            {
                return round;
            }
            await Task.Delay(100);
        }
        throw new TimeoutException("The retention lock was never free.");
    }

    [Fact]
    public async Task ExpiredMarksGoInBatchesWhileEverySchoolSummaryStaysExactAndAStudentsSaysTheDetailExpired()
    {
        var reader = await app.CreateClientWithScopesAsync([School], Scopes.AttendanceRead);
        await using var connection = await app.DataSource.OpenConnectionAsync();
        var student = await connection.ExecuteScalarAsync<long>(
            "select min(student_id) from attendance_records where school_id = @School", new { School });
        var summaries = Groupings.Select(g => $"/stats/v1/attendance/summary?{Term}{g}").ToList();
        // Within the limit, nothing expires.
        Assert.Equal(0, (await RoundAsync()).Marks);
        var before = new List<string>();
        foreach (var url in summaries)
        {
            before.Add(await (await reader.GetAsync(url)).Content.ReadAsStringAsync());
        }
        var theirs = $"/stats/v1/attendance/summary?{Term}&student_id={student}";
        Assert.Equal(HttpStatusCode.OK, (await reader.GetAsync(theirs)).StatusCode);
        var held = await connection.ExecuteScalarAsync<long>("select count(*) from attendance_records where school_id = @School", new { School });
        Assert.True(held > 0);

        // Thirteen months on, the term's marks are past the limit.
        app.Clock.Advance(TimeSpan.FromDays(400));
        var round = await RoundAsync();
        // Tokens expire on the service's clock: the reader of thirteen months on holds a token of that time.
        reader = await app.CreateClientWithScopesAsync([School], Scopes.AttendanceRead);

        Assert.True(round.Marks >= held, $"{round.Marks} of {held}");
        Assert.Equal(0, await connection.ExecuteScalarAsync<long>("select count(*) from attendance_records where school_id = @School", new { School }));
        for (var i = 0; i < summaries.Count; i++)
        {
            Assert.Equal(before[i], await (await reader.GetAsync(summaries[i])).Content.ReadAsStringAsync());
        }
        var expired = await (await reader.GetAsync(theirs)).AssertProblemAsync(HttpStatusCode.Gone, "detail_expired");
        Assert.True(expired.GetProperty("errors").TryGetProperty("from", out _));
        var keptFrom = await connection.ExecuteScalarAsync<DateTime>("select marks_kept_from from retention_horizons where school_id = @School", new { School });
        Assert.Equal(HttpStatusCode.OK,
            (await reader.GetAsync($"/stats/v1/attendance/summary?school_id={School}&from={keptFrom:yyyy-MM-dd}&to={keptFrom:yyyy-MM-dd}&student_id={student}")).StatusCode);
        // The audit trail's events of that time went too; a round later finds nothing more to do.
        Assert.Equal(0, await connection.ExecuteScalarAsync<long>(
            "select count(*) from audit_events where school_id = @School and occurred_at < @cutoff", new { School, cutoff = app.Clock.GetUtcNow().AddMonths(-12) }));
        Assert.Equal(new RetentionRound(0, 0), await RoundAsync());
    }

    [Fact]
    public async Task OneInstanceAtATimeDeletes()
    {
        await using var holder = await app.DataSource.OpenConnectionAsync();
        // The job's key, held here as another instance would hold it.
        await holder.ExecuteAsync("select pg_advisory_lock(125780069804398)");
        try
        {
            Assert.Null(await Job.RunAsync(CancellationToken.None));
        }
        finally
        {
            await holder.ExecuteAsync("select pg_advisory_unlock(125780069804398)");
        }
        Assert.NotNull(await RoundAsync());
    }
}
