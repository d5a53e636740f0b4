using Dapper;
using StatsApi.Tests.Infrastructure;

namespace StatsApi.Tests;

public class RollupConcurrencyTests(StatsApiFactory app) : IClassFixture<StatsApiFactory>
{
    private const string MoveLesson = """
        update lessons set starts_at = starts_at + interval '30 days', ends_at = ends_at + interval '30 days'
        where school_id = @school and lesson_id = @lesson
        """;

    private static string MarkAll(string status) =>
        $"update attendance_records set status = '{status}' where school_id = @school and lesson_id = @lesson";

    /// <summary>
    /// Runs <paramref name="first"/> in an open transaction, starts <paramref name="second"/> on another
    /// connection, checks that it waits for the first, commits, and checks both rollups afterwards.
    /// </summary>
    private async Task RaceAsync(string school, string first, string second)
    {
        await using var one = await app.DataSource.OpenConnectionAsync();
        await using var two = await app.DataSource.OpenConnectionAsync();
        var lesson = await one.ExecuteScalarAsync<long>(
            "select lesson_id from attendance_records where school_id = @school order by lesson_id limit 1", new { school });

        await using (var transaction = await one.BeginTransactionAsync())
        {
            await one.ExecuteAsync(first, new { school, lesson }, transaction);
            var waiting = two.ExecuteAsync(second, new { school, lesson });
            await Task.Delay(500);
            Assert.False(waiting.IsCompleted);
            await transaction.CommitAsync();
            await waiting;
        }

        Assert.Equal(0, await Rollups.MismatchesAsync(one));
    }

    [Fact]
    public Task AnAttendanceWriteDuringALessonMoveLeavesBothRollupsExact() =>
        RaceAsync("oakwood-primary", MoveLesson, MarkAll("late"));

    [Fact]
    public Task ALessonMoveDuringAnAttendanceWriteLeavesBothRollupsExact() =>
        RaceAsync("ravenscroft-high", MarkAll("excused"), MoveLesson);
}
