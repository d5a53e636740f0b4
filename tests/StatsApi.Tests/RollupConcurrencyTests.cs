using Dapper;
using StatsApi.Tests.Infrastructure;

namespace StatsApi.Tests;

public class RollupConcurrencyTests(StatsApiFactory app) : IClassFixture<StatsApiFactory>
{
    // 30 days later, counted in UTC: timestamptz + interval depends on the session's time zone, and Citus
    // refuses a function that is not immutable applied to a column in an UPDATE (TestCitus runs these tests there).
    private const string MoveLesson = """
        update lessons set starts_at = ((starts_at at time zone 'UTC') + interval '30 days') at time zone 'UTC',
                           ends_at = ((ends_at at time zone 'UTC') + interval '30 days') at time zone 'UTC'
        where school_id = @school and lesson_id = @lesson
        """;

    // From UTC-11 to UTC+14: every lesson falls on another day.
    private const string ChangeTimeZone = "update schools set time_zone = 'Pacific/Kiritimati' where school_id = @school";

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
            await LockWaits.WaitForAsync(one, 1, transaction: transaction);
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

    private async Task InPagoPagoAsync(string school)
    {
        await using var connection = await app.DataSource.OpenConnectionAsync();
        await connection.ExecuteAsync("update schools set time_zone = 'Pacific/Pago_Pago' where school_id = @school", new { school });
    }

    [Fact]
    public async Task AnAttendanceWriteDuringATimeZoneChangeLeavesBothRollupsExact()
    {
        await InPagoPagoAsync("oakwood-primary");
        await RaceAsync("oakwood-primary", ChangeTimeZone, MarkAll("absent"));
    }

    [Fact]
    public async Task ATimeZoneChangeDuringAnAttendanceWriteLeavesBothRollupsExact()
    {
        await InPagoPagoAsync("ravenscroft-high");
        await RaceAsync("ravenscroft-high", MarkAll("present"), ChangeTimeZone);
    }

    [Fact]
    public async Task ALessonMoveDuringATimeZoneChangeLeavesBothRollupsExact()
    {
        await InPagoPagoAsync("lakeside-academy");
        await RaceAsync("lakeside-academy", ChangeTimeZone, MoveLesson);
    }

    [Fact]
    public async Task ConcurrentAttendanceWritesOverlappingInDaysAndCoursesNeitherDeadlockNorDrift()
    {
        const string school = "lakeside-academy";
        const int writers = 8;
        string[] statuses = ["present", "absent", "late", "excused"];
        await using var connection = await app.DataSource.OpenConnectionAsync();
        var records = (await connection.QueryAsync<(long Lesson, long Student)>(
            "select lesson_id, student_id from attendance_records where school_id = @school", new { school })).ToList();

        // Each writer owns a share of the records (rows never collide) spread over every day and course
        // (rollup rows do), and sends them in an order of its own.
        async Task WriteAsync(int writer)
        {
            var random = new Random(writer);
            var mine = records.Where(r => r.Student % writers == writer).ToArray();
            await using var own = await app.DataSource.OpenConnectionAsync();
            for (var round = 0; round < 4; round++)
            {
                random.Shuffle(mine);
                var some = mine[..random.Next(mine.Length / 8, mine.Length + 1)];
                var batch = new
                {
                    school,
                    lessons = some.Select(r => r.Lesson).ToArray(),
                    students = some.Select(r => r.Student).ToArray(),
                    statuses = some.Select(_ => statuses[random.Next(statuses.Length)]).ToArray(),
                };
                await own.ExecuteAsync("""
                    update attendance_records a set status = u.status
                    from unnest(@lessons, @students, @statuses) u (lesson_id, student_id, status)
                    where a.school_id = @school and a.lesson_id = u.lesson_id and a.student_id = u.student_id
                    """, batch);
                await own.ExecuteAsync("""
                    delete from attendance_records a using unnest(@lessons, @students) u (lesson_id, student_id)
                    where a.school_id = @school and a.lesson_id = u.lesson_id and a.student_id = u.student_id
                    """, batch);
                await own.ExecuteAsync("""
                    insert into attendance_records (school_id, lesson_id, student_id, status)
                    select @school, u.lesson_id, u.student_id, u.status
                    from unnest(@lessons, @students, @statuses) u (lesson_id, student_id, status)
                    """, batch);
            }
        }

        await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(() => WriteAsync(w))));

        Assert.Equal(records.Count, await connection.ExecuteScalarAsync<long>(
            "select count(*) from attendance_records where school_id = @school", new { school }));
        Assert.Equal(0, await Rollups.MismatchesAsync(connection));
    }
}
