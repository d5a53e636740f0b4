using Dapper;
using Npgsql;
using StatsApi.Tests.Infrastructure;

namespace StatsApi.Tests;

public class TimeZoneChangeTests(StatsApiFactory app) : IClassFixture<StatsApiFactory>
{
    private const string School = "oakwood-primary";

    private static async Task<List<DateTime>> DaysAsync(NpgsqlConnection connection) =>
        (await connection.QueryAsync<DateTime>("select day from attendance_school_daily where school_id = @School order by day", new { School })).ToList();

    [Fact]
    public async Task ChangingASchoolsTimeZoneRebuildsBothRollupsAndLaterDeletesNeverGoNegative()
    {
        await using var connection = await app.DataSource.OpenConnectionAsync();
        var before = await DaysAsync(connection);

        // Eleven hours behind UTC: every lesson of a school in Europe/London falls on the day before.
        await connection.ExecuteAsync("update schools set time_zone = 'Pacific/Pago_Pago' where school_id = @School", new { School });

        Assert.NotEqual(before, await DaysAsync(connection));
        Assert.Equal(0, await Rollups.MismatchesAsync(connection));

        var lessons = (await connection.QueryAsync<long>(
            "select distinct lesson_id from attendance_records where school_id = @School order by lesson_id", new { School })).ToArray();
        foreach (var chunk in lessons.Chunk(lessons.Length / 3))
        {
            await connection.ExecuteAsync("delete from attendance_records where school_id = @School and lesson_id = any(@chunk)", new { School, chunk });
            Assert.Equal(0, await connection.ExecuteScalarAsync<long>("""
                select (select count(*) from attendance_daily where school_id = @School and least(present, absent, late, excused) < 0)
                     + (select count(*) from attendance_school_daily where school_id = @School and least(present, absent, late, excused) < 0)
                """, new { School }));
            Assert.Equal(0, await Rollups.MismatchesAsync(connection));
        }
    }

    [Theory]
    [InlineData("Mars/Olympus")]
    [InlineData("")]
    [InlineData("europe/london; drop table schools")]
    public async Task AnUnknownTimeZoneIsRefusedAndAttendanceWritesStillWork(string zone)
    {
        const string school = "ravenscroft-high";
        await using var connection = await app.DataSource.OpenConnectionAsync();

        var update = await Assert.ThrowsAsync<PostgresException>(() =>
            connection.ExecuteAsync("update schools set time_zone = @zone where school_id = @school", new { zone, school }));
        var insert = await Assert.ThrowsAsync<PostgresException>(() =>
            connection.ExecuteAsync("insert into schools (school_id, name, time_zone) values ('mars-primary', 'Mars Primary', @zone)", new { zone }));

        Assert.All([update, insert], refused =>
        {
            Assert.Equal(PostgresErrorCodes.CheckViolation, refused.SqlState);
            Assert.Contains("time_zone", refused.MessageText, StringComparison.Ordinal);
        });
        Assert.Equal(1, await connection.ExecuteAsync("""
            update attendance_records set status = 'late'
            where school_id = @school and (lesson_id, student_id) = (select lesson_id, student_id from attendance_records where school_id = @school limit 1)
            """, new { school }));
        Assert.Equal(0, await Rollups.MismatchesAsync(connection));
    }
}
