using System.Net;
using System.Text.Json;
using Npgsql;
using StatsApi.Tests.Infrastructure;

namespace StatsApi.Tests;

public class AttendanceSummaryTests(StatsApiFactory app) : IClassFixture<StatsApiFactory>
{
    private const string School = "oakwood-primary";

    private static string Summary(string query) => $"/stats/v1/attendance/summary?school_id={School}&{query}";

    /// <summary>Counts by status straight from the attendance records, for comparison with the rollup.</summary>
    private async Task<Dictionary<string, long>> CountRecordsAsync(DateOnly from, DateOnly to, long? courseId = null, long? teacherId = null, long? studentId = null)
    {
        await using var connection = await app.DataSource.OpenConnectionAsync();
        await using var command = new NpgsqlCommand("""
            select a.status, count(*)
            from attendance_records a
            join lessons l on l.school_id = a.school_id and l.lesson_id = a.lesson_id
            join schools s on s.school_id = a.school_id
            where a.school_id = $1 and (l.starts_at at time zone s.time_zone)::date between $2 and $3
              and ($4::bigint is null or l.course_id = $4)
              and ($5::bigint is null or l.teacher_id = $5)
              and ($6::bigint is null or a.student_id = $6)
            group by a.status
            """, connection);
        command.Parameters.Add(new() { Value = School });
        command.Parameters.Add(new() { Value = from });
        command.Parameters.Add(new() { Value = to });
        command.Parameters.Add(new() { Value = (object?)courseId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint });
        command.Parameters.Add(new() { Value = (object?)teacherId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint });
        command.Parameters.Add(new() { Value = (object?)studentId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint });
        var counts = new Dictionary<string, long> { ["present"] = 0, ["absent"] = 0, ["late"] = 0, ["excused"] = 0 };
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            counts[reader.GetString(0)] = reader.GetInt64(1);
        }
        return counts;
    }

    private static void AssertCounts(Dictionary<string, long> expected, JsonElement counts)
    {
        foreach (var (status, count) in expected)
        {
            Assert.Equal(count, counts.GetProperty(status).GetInt64());
        }
        var total = expected.Values.Sum();
        Assert.Equal(total, counts.GetProperty("records").GetInt64());
        Assert.Equal(Math.Round((double)(expected["present"] + expected["late"]) / total, 4), counts.GetProperty("attendance_rate").GetDouble(), 4);
    }

    private async Task<long> AnyCourseIdAsync()
    {
        await using var connection = await app.DataSource.OpenConnectionAsync();
        await using var command = new NpgsqlCommand("select min(course_id) from courses where school_id = $1", connection)
        {
            Parameters = { new() { Value = School } },
        };
        return (long)(await command.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task TotalsMatchACountOverTheAttendanceRecords()
    {
        var client = await app.CreateClientForSchoolsAsync(School);

        var response = await client.GetAsync(Summary("from=2026-09-01&to=2026-09-30"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.JsonAsync();
        Assert.Equal(School, body.GetProperty("school_id").GetString());
        Assert.Equal("2026-09-01", body.GetProperty("from").GetString());
        var expected = await CountRecordsAsync(new(2026, 9, 1), new(2026, 9, 30));
        Assert.True(expected.Values.Sum() > 1000, "the demo data should hold a real term of attendance");
        AssertCounts(expected, body.GetProperty("totals"));
        Assert.Equal(JsonValueKind.Null, body.GetProperty("groups").ValueKind);
    }

    [Fact]
    public async Task ACourseFilterCountsOnlyThatCourse()
    {
        var client = await app.CreateClientForSchoolsAsync(School);
        var courseId = await AnyCourseIdAsync();

        var body = await (await client.GetAsync(Summary($"from=2026-09-01&to=2026-09-30&course_id={courseId}"))).JsonAsync();

        AssertCounts(await CountRecordsAsync(new(2026, 9, 1), new(2026, 9, 30), courseId), body.GetProperty("totals"));
    }

    [Theory]
    [InlineData("day", "2026-09-01")]
    [InlineData("week", "2026-W36")]
    [InlineData("month", "2026-09")]
    public async Task TimeGroupsAddUpToTheTotals(string groupBy, string firstKey)
    {
        var client = await app.CreateClientForSchoolsAsync(School);

        var body = await (await client.GetAsync(Summary($"from=2026-09-01&to=2026-09-30&group_by={groupBy}"))).JsonAsync();

        var groups = body.GetProperty("groups").EnumerateArray().ToList();
        Assert.Equal(firstKey, groups[0].GetProperty("key").GetString());
        Assert.Equal("2026-09-01", groups[0].GetProperty("from").GetString());
        Assert.Equal(body.GetProperty("totals").GetProperty("records").GetInt64(),
            groups.Sum(g => g.GetProperty("counts").GetProperty("records").GetInt64()));
        Assert.Equal(groups.Select(g => g.GetProperty("key").GetString()).Order(StringComparer.Ordinal), groups.Select(g => g.GetProperty("key").GetString()));
    }

    [Fact]
    public async Task CourseGroupsNameEachCourse()
    {
        var client = await app.CreateClientForSchoolsAsync(School);

        var body = await (await client.GetAsync(Summary("from=2026-09-01&to=2026-09-30&group_by=course"))).JsonAsync();

        var groups = body.GetProperty("groups").EnumerateArray().ToList();
        Assert.True(groups.Count > 1);
        Assert.All(groups, g => Assert.False(string.IsNullOrEmpty(g.GetProperty("course_name").GetString())));
        Assert.Equal(body.GetProperty("totals").GetProperty("records").GetInt64(),
            groups.Sum(g => g.GetProperty("counts").GetProperty("records").GetInt64()));
    }

    [Fact]
    public async Task ADayWhoseMarksWereAllDeletedIsNoLongerAGroup()
    {
        var client = await app.CreateClientForSchoolsAsync("ravenscroft-high");
        await using (var connection = await app.DataSource.OpenConnectionAsync())
        {
            await using var delete = new NpgsqlCommand("""
                delete from attendance_records a using lessons l
                where l.school_id = a.school_id and l.lesson_id = a.lesson_id and a.school_id = 'ravenscroft-high'
                  and (l.starts_at at time zone 'Europe/London')::date = '2026-09-02'
                """, connection);
            Assert.True(await delete.ExecuteNonQueryAsync() > 0);
        }

        var body = await (await client.GetAsync("/stats/v1/attendance/summary?school_id=ravenscroft-high&from=2026-09-01&to=2026-09-04&group_by=day")).JsonAsync();

        var keys = body.GetProperty("groups").EnumerateArray().Select(g => g.GetProperty("key").GetString()).ToList();
        Assert.Equal(["2026-09-01", "2026-09-03", "2026-09-04"], keys);
    }

    [Fact]
    public async Task ARangeWithoutLessonsHasZeroRecordsAndNoRate()
    {
        var client = await app.CreateClientForSchoolsAsync(School);

        var totals = (await (await client.GetAsync(Summary("from=2025-01-01&to=2025-01-31"))).JsonAsync()).GetProperty("totals");

        Assert.Equal(0, totals.GetProperty("records").GetInt64());
        Assert.Equal(JsonValueKind.Null, totals.GetProperty("attendance_rate").ValueKind);
    }

    [Fact]
    public async Task AttendanceWritesAreInTheSummaryAtOnce()
    {
        var client = await app.CreateClientForSchoolsAsync(School);
        var before = await CountRecordsAsync(new(2026, 9, 1), new(2026, 9, 30));

        await using (var connection = await app.DataSource.OpenConnectionAsync())
        {
            // Turn every present mark of one lesson into absent, then delete one record.
            await using var update = new NpgsqlCommand("""
                with lesson as (
                    select a.lesson_id from attendance_records a
                    join lessons l on l.school_id = a.school_id and l.lesson_id = a.lesson_id
                    where a.school_id = $1 and a.status = 'present' and l.starts_at < '2026-09-20' limit 1)
                update attendance_records set status = 'absent'
                where school_id = $1 and lesson_id = (select lesson_id from lesson) and status = 'present'
                """, connection) { Parameters = { new() { Value = School } } };
            Assert.True(await update.ExecuteNonQueryAsync() > 0);
            await using var delete = new NpgsqlCommand("""
                delete from attendance_records
                where (school_id, lesson_id, student_id) = (
                    select a.school_id, a.lesson_id, a.student_id from attendance_records a
                    join lessons l on l.school_id = a.school_id and l.lesson_id = a.lesson_id
                    where a.school_id = $1 and l.starts_at < '2026-09-20' limit 1)
                """, connection) { Parameters = { new() { Value = School } } };
            Assert.Equal(1, await delete.ExecuteNonQueryAsync());
        }

        var after = await CountRecordsAsync(new(2026, 9, 1), new(2026, 9, 30));
        Assert.NotEqual(before["absent"], after["absent"]);
        var body = await (await client.GetAsync(Summary("from=2026-09-01&to=2026-09-30"))).JsonAsync();
        AssertCounts(after, body.GetProperty("totals"));
    }

    [Fact]
    public async Task ARescheduledLessonTakesItsAttendanceToItsNewDay()
    {
        var client = await app.CreateClientForSchoolsAsync(School);
        await using (var connection = await app.DataSource.OpenConnectionAsync())
        {
            await using var move = new NpgsqlCommand("""
                update lessons set starts_at = ((starts_at at time zone 'UTC') + interval '50 days') at time zone 'UTC',
                                   ends_at = ((ends_at at time zone 'UTC') + interval '50 days') at time zone 'UTC'
                where (school_id, lesson_id) = (select school_id, lesson_id from attendance_records where school_id = $1 limit 1)
                """, connection) { Parameters = { new() { Value = School } } };
            Assert.Equal(1, await move.ExecuteNonQueryAsync());
        }

        foreach (var (from, to) in new[] { (new DateOnly(2026, 9, 1), new DateOnly(2026, 9, 30)), (new DateOnly(2026, 10, 1), new DateOnly(2026, 11, 30)) })
        {
            var body = await (await client.GetAsync(Summary($"from={from:yyyy-MM-dd}&to={to:yyyy-MM-dd}"))).JsonAsync();
            AssertCounts(await CountRecordsAsync(from, to), body.GetProperty("totals"));
        }
    }

    [Theory]
    [InlineData("to=2026-09-30", "from")]
    [InlineData("from=2026-09-01", "to")]
    [InlineData("from=01/09/2026&to=2026-09-30", "from")]
    [InlineData("from=2026-02-30&to=2026-03-30", "from")]
    [InlineData("from=2026-09-30&to=2026-09-01", "from")]
    [InlineData("from=2024-01-01&to=2026-09-01", "to")]
    [InlineData("from=2026-09-01&to=2026-09-30&group_by=year", "group_by")]
    [InlineData("from=2026-09-01&to=2026-09-30&course_id=abc", "course_id")]
    [InlineData("from=2026-09-01&to=2026-09-30&course_id=-4", "course_id")]
    public async Task BadInputIs400NamingTheField(string query, string field)
    {
        var client = await app.CreateClientForSchoolsAsync(School);

        var response = await client.GetAsync(Summary(query));

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"errors should name {field}");
    }

    [Fact]
    public async Task AMissingSchoolIdIs400NamingIt()
    {
        var client = await app.CreateClientForSchoolsAsync(School);

        foreach (var query in new[] { "from=2026-09-01&to=2026-09-30", "school_id=&from=2026-09-01&to=2026-09-30" })
        {
            var response = await client.GetAsync("/stats/v1/attendance/summary?" + query);

            var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
            Assert.True(problem.GetProperty("errors").TryGetProperty("school_id", out _));
        }
    }

    [Fact]
    public async Task ACourseOfAnotherSchoolAnswersAsAMissingOne()
    {
        var client = await app.CreateClientForSchoolsAsync(School);
        await using var connection = await app.DataSource.OpenConnectionAsync();
        await using var command = new NpgsqlCommand("select min(course_id) from courses where school_id = 'ravenscroft-high'", connection);
        var otherSchoolsCourse = (long)(await command.ExecuteScalarAsync())!;

        var response = await client.GetAsync(Summary($"from=2026-09-01&to=2026-09-30&course_id={otherSchoolsCourse}"));

        await response.AssertProblemAsync(HttpStatusCode.NotFound, "course_not_found");
    }

    [Fact]
    public async Task AnUnknownCourseOfTheSchoolIs404()
    {
        var client = await app.CreateClientForSchoolsAsync(School);

        var response = await client.GetAsync(Summary("from=2026-09-01&to=2026-09-30&course_id=999999999"));

        await response.AssertProblemAsync(HttpStatusCode.NotFound, "course_not_found");
    }

    [Theory]
    [InlineData(true, false, false)]
    [InlineData(false, true, false)]
    [InlineData(true, true, false)]
    [InlineData(false, true, true)]
    [InlineData(true, true, true)]
    public async Task TeacherAndStudentFiltersMatchACountOverTheRecords(bool byTeacher, bool byStudent, bool byCourse)
    {
        var client = await app.CreateClientForSchoolsAsync(School);
        await using var connection = await app.DataSource.OpenConnectionAsync();
        await using var pick = new NpgsqlCommand("""
            select l.teacher_id, a.student_id, l.course_id from attendance_records a
            join lessons l on l.school_id = a.school_id and l.lesson_id = a.lesson_id
            where a.school_id = $1 order by a.lesson_id, a.student_id limit 1
            """, connection) { Parameters = { new() { Value = School } } };
        long teacher, student, course;
        await using (var reader = await pick.ExecuteReaderAsync())
        {
            Assert.True(await reader.ReadAsync());
            (teacher, student, course) = (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
        }
        var query = "from=2026-09-01&to=2026-09-30&group_by=day"
            + (byTeacher ? $"&teacher_id={teacher}" : "") + (byStudent ? $"&student_id={student}" : "") + (byCourse ? $"&course_id={course}" : "");

        var body = await (await client.GetAsync(Summary(query))).JsonAsync();

        var expected = await CountRecordsAsync(new(2026, 9, 1), new(2026, 9, 30), byCourse ? course : null, byTeacher ? teacher : null, byStudent ? student : null);
        Assert.True(expected.Values.Sum() > 0);
        AssertCounts(expected, body.GetProperty("totals"));
        Assert.Equal(expected.Values.Sum(), body.GetProperty("groups").EnumerateArray().Sum(g => g.GetProperty("counts").GetProperty("records").GetInt64()));
        if (byTeacher)
        {
            Assert.Equal(teacher, body.GetProperty("teacher_id").GetInt64());
        }
    }

    [Theory]
    [InlineData("teacher_id")]
    [InlineData("student_id")]
    public async Task AFilterNamingAnotherSchoolsPersonAnswersLikeAMissingOne(string field)
    {
        var client = await app.CreateClientForSchoolsAsync(School);
        await using var connection = await app.DataSource.OpenConnectionAsync();
        await using var command = new NpgsqlCommand("select min(user_id) from users where school_id = 'ravenscroft-high' and role = $1", connection)
        {
            Parameters = { new() { Value = field == "teacher_id" ? "teacher" : "student" } },
        };
        var foreign = (long)(await command.ExecuteScalarAsync())!;
        var what = field == "teacher_id" ? "teacher" : "student";

        var asForeign = await (await client.GetAsync(Summary($"from=2026-09-01&to=2026-09-30&{field}={foreign}"))).AssertProblemAsync(HttpStatusCode.NotFound, $"{what}_not_found");
        var asMissing = await (await client.GetAsync(Summary($"from=2026-09-01&to=2026-09-30&{field}=99999999"))).AssertProblemAsync(HttpStatusCode.NotFound, $"{what}_not_found");

        Assert.Equal(asMissing.GetProperty("title").GetString(), asForeign.GetProperty("title").GetString());
        Assert.True(asForeign.GetProperty("errors").TryGetProperty(field, out _));
    }
}
