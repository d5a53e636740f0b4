using Dapper;
using StatsApi.Tests.Infrastructure;

namespace StatsApi.Tests;

public class RollupConcurrencyTests(StatsApiFactory app) : IClassFixture<StatsApiFactory>
{
    [Fact]
    public async Task AnAttendanceWriteDuringALessonMoveLeavesBothRollupsExact()
    {
        await using var mover = await app.DataSource.OpenConnectionAsync();
        await using var writer = await app.DataSource.OpenConnectionAsync();
        var lesson = await mover.ExecuteScalarAsync<long>(
            "select lesson_id from attendance_records where school_id = 'oakwood-primary' order by lesson_id limit 1");

        await using var move = await mover.BeginTransactionAsync();
        await mover.ExecuteAsync("""
            update lessons set starts_at = starts_at + interval '30 days', ends_at = ends_at + interval '30 days'
            where school_id = 'oakwood-primary' and lesson_id = @lesson
            """, new { lesson }, move);
        // The write reads the lesson under a share lock, so it waits for the move rather than using the old day.
        var write = writer.ExecuteAsync(
            "update attendance_records set status = 'late' where school_id = 'oakwood-primary' and lesson_id = @lesson",
            new { lesson });
        await Task.Delay(500);
        Assert.False(write.IsCompleted);
        await move.CommitAsync();
        await write;

        Assert.Equal(0, await Rollups.MismatchesAsync(mover));
    }

    [Fact]
    public async Task ALessonMoveDuringAnAttendanceWriteLeavesBothRollupsExact()
    {
        await using var writer = await app.DataSource.OpenConnectionAsync();
        await using var mover = await app.DataSource.OpenConnectionAsync();
        var lesson = await writer.ExecuteScalarAsync<long>(
            "select lesson_id from attendance_records where school_id = 'ravenscroft-high' order by lesson_id limit 1");

        await using var write = await writer.BeginTransactionAsync();
        await writer.ExecuteAsync(
            "update attendance_records set status = 'excused' where school_id = 'ravenscroft-high' and lesson_id = @lesson",
            new { lesson }, write);
        var move = mover.ExecuteAsync("""
            update lessons set starts_at = starts_at + interval '30 days', ends_at = ends_at + interval '30 days'
            where school_id = 'ravenscroft-high' and lesson_id = @lesson
            """, new { lesson });
        await Task.Delay(500);
        Assert.False(move.IsCompleted);
        await write.CommitAsync();
        await move;

        Assert.Equal(0, await Rollups.MismatchesAsync(writer));
    }
}
