using System.Net;
using System.Net.Http.Json;
using Dapper;
using StatsApi.Tests.Infrastructure;
using StatsApi.Tokens;

namespace StatsApi.Tests;

/// <summary>
/// Random registers, corrections, deletions and reschedules from several concurrent clients, through the
/// API; afterwards every summary must equal a count over the records themselves.
/// </summary>
public class AttendanceConsistencyTests(StatsApiFactory app) : IClassFixture<StatsApiFactory>
{
    private const string School = "lakeside-academy";
    private const string Lessons = $"/v1/schools/{School}/lessons";
    private static readonly string[] Statuses = ["present", "absent", "late", "excused"];

    private sealed record Course(long CourseId, long TeacherId);

    [Fact]
    public async Task EverySummaryEqualsACountOverTheRecordsAfterConcurrentRandomWrites()
    {
        await using var connection = await app.DataSource.OpenConnectionAsync();
        var courses = (await connection.QueryAsync<Course>(
            "select course_id, teacher_id from courses where school_id = @School order by course_id limit 3", new { School })).ToList();
        var teachers = courses.Select(c => c.TeacherId).Distinct().ToArray();
        var enrolled = new Dictionary<long, long[]>();
        foreach (var course in courses)
        {
            enrolled[course.CourseId] = (await connection.QueryAsync<long>(
                "select student_id from enrolments where school_id = @School and course_id = @CourseId", new { School, course.CourseId })).ToArray();
        }
        var lessons = (await connection.QueryAsync<(long LessonId, long CourseId)>("""
            select lesson_id, course_id from lessons where school_id = @School and course_id = any(@ids) order by lesson_id limit 24
            """, new { School, ids = courses.Select(c => c.CourseId).ToArray() })).ToList();

        var clients = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => app.CreateClientWithScopesAsync([School],
            Scopes.LessonsRead, Scopes.LessonsWrite, Scopes.AttendanceRead, Scopes.AttendanceWrite)));
        var statuses = await Task.WhenAll(clients.Select((client, n) => RunRandomWritesAsync(client, new Random(1000 + n), lessons, enrolled, teachers)));

        Assert.All(statuses.SelectMany(s => s), s => Assert.True(s is < 300 or 404, $"unexpected status {s}"));
        Assert.Contains(statuses.SelectMany(s => s), s => s is >= 200 and < 300);
        Assert.Equal(0, await Rollups.MismatchesAsync(connection));

        var reader = await app.CreateClientForSchoolsAsync(School);
        var student = enrolled[courses[0].CourseId][0];
        var filters = new[] { "", $"&course_id={courses[0].CourseId}", $"&teacher_id={teachers[0]}", $"&student_id={student}", $"&teacher_id={teachers[0]}&course_id={courses[0].CourseId}" };
        foreach (var filter in filters)
        {
            foreach (var groupBy in new[] { "", "&group_by=day", "&group_by=week", "&group_by=month", "&group_by=course" })
            {
                var body = await (await reader.GetAsync($"/stats/v1/attendance/summary?school_id={School}&from=2026-09-01&to=2026-12-31{filter}{groupBy}")).JsonAsync();
                var expected = await connection.QuerySingleAsync<(long Present, long Absent, long Late, long Excused)>("""
                    select count(*) filter (where a.status = 'present'), count(*) filter (where a.status = 'absent'),
                           count(*) filter (where a.status = 'late'), count(*) filter (where a.status = 'excused')
                    from attendance_records a join lessons l using (school_id, lesson_id) join schools s using (school_id)
                    where a.school_id = @School and (l.starts_at at time zone s.time_zone)::date between '2026-09-01' and '2026-12-31'
                      and (@course::bigint is null or l.course_id = @course) and (@teacher::bigint is null or l.teacher_id = @teacher)
                      and (@student::bigint is null or a.student_id = @student)
                    """, new
                {
                    School,
                    course = filter.Contains("course_id", StringComparison.Ordinal) ? courses[0].CourseId : (long?)null,
                    teacher = filter.Contains("teacher_id", StringComparison.Ordinal) ? teachers[0] : (long?)null,
                    student = filter.Contains("student_id", StringComparison.Ordinal) ? student : (long?)null,
                });
                var totals = body.GetProperty("totals");
                var because = $"filter '{filter}' grouping '{groupBy}'";
                Assert.True(expected.Present == totals.GetProperty("present").GetInt64(), because);
                Assert.True(expected.Absent == totals.GetProperty("absent").GetInt64(), because);
                Assert.True(expected.Late == totals.GetProperty("late").GetInt64(), because);
                Assert.True(expected.Excused == totals.GetProperty("excused").GetInt64(), because);
                if (groupBy.Length > 0)
                {
                    var grouped = body.GetProperty("groups").EnumerateArray().Sum(g => g.GetProperty("counts").GetProperty("records").GetInt64());
                    Assert.True(expected.Present + expected.Absent + expected.Late + expected.Excused == grouped, because);
                }
            }
        }
    }

    private static async Task<List<int>> RunRandomWritesAsync(HttpClient client, Random random, List<(long LessonId, long CourseId)> lessons,
        Dictionary<long, long[]> enrolled, long[] teachers)
    {
        var statuses = new List<int>();
        for (var i = 0; i < 30; i++)
        {
            var (lessonId, courseId) = lessons[random.Next(lessons.Count)];
            var students = enrolled[courseId];
            var lesson = $"{Lessons}/{lessonId}";
            HttpResponseMessage response = random.Next(10) switch
            {
                < 4 => await client.PostAsJsonAsync($"{lesson}/attendance", new
                {
                    marks = students.Where(_ => random.Next(3) > 0).DefaultIfEmpty(students[0])
                        .Select(s => new { student_id = s, status = Statuses[random.Next(Statuses.Length)] }).ToArray(),
                }),
                < 6 => await client.PatchAsJsonAsync($"{lesson}/attendance/{students[random.Next(students.Length)]}",
                    new { status = Statuses[random.Next(Statuses.Length)] }),
                < 7 => await client.DeleteAsync($"{lesson}/attendance/{students[random.Next(students.Length)]}"),
                < 9 => await client.PatchAsJsonAsync(lesson, Reschedule(random, teachers)),
                _ => await DeleteWithMarksAsync(client, lesson),
            };
            statuses.Add((int)response.StatusCode);
        }
        return statuses;
    }

    private static object Reschedule(Random random, long[] teachers)
    {
        var start = new DateTimeOffset(2026, 9, 1, 7, 0, 0, TimeSpan.Zero).AddDays(random.Next(120)).AddHours(random.Next(16));
        return random.Next(2) == 0
            ? new { starts_at = start, ends_at = start.AddMinutes(50) }
            : new { teacher_id = teachers[random.Next(teachers.Length)] };
    }

    private static async Task<HttpResponseMessage> DeleteWithMarksAsync(HttpClient client, string lesson)
    {
        var current = await client.GetAsync(lesson);
        if (current.StatusCode != HttpStatusCode.OK)
        {
            return current;
        }
        using var request = new HttpRequestMessage(HttpMethod.Delete, $"{lesson}?cascade=true");
        request.Headers.IfMatch.Add(current.Headers.ETag!);
        var deleted = await client.SendAsync(request);
        // Another client changed it in between: that is the precondition doing its work.
        return deleted.StatusCode == HttpStatusCode.PreconditionFailed ? current : deleted;
    }
}
