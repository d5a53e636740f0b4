using System.Net;
using System.Net.Http.Json;
using Dapper;
using StatsApi.Tests.Infrastructure;

namespace StatsApi.Tests;

public class RoleTests(StatsApiFactory app) : IClassFixture<StatsApiFactory>
{
    private const string School = "oakwood-primary";
    private const string Base = $"/v1/schools/{School}";

    private sealed record Course(long CourseId, long TeacherId);

    private async Task<(Course Mine, Course Theirs)> CoursesOfTwoTeachersAsync()
    {
        await using var connection = await app.DataSource.OpenConnectionAsync();
        var courses = (await connection.QueryAsync<Course>(
            "select course_id, teacher_id from courses where school_id = @School order by course_id", new { School })).ToList();
        var mine = courses[0];
        return (mine, courses.First(c => c.TeacherId != mine.TeacherId));
    }

    private async Task<long> LessonOfAsync(long courseId)
    {
        await using var connection = await app.DataSource.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<long>("select min(lesson_id) from lessons where school_id = @School and course_id = @courseId", new { School, courseId });
    }

    private static object LessonOf(long courseId)
    {
        var start = new DateTimeOffset(2026, 12, 7, 9, 0, 0, TimeSpan.Zero);
        return new { course_id = courseId, starts_at = start, ends_at = start.AddMinutes(50) };
    }

    [Fact]
    public async Task ATeacherKeepsTheLessonsAndRegistersOfTheirOwnCoursesOnly()
    {
        var (mine, theirs) = await CoursesOfTwoTeachersAsync();
        var teacher = await app.ActAsAsync(School, mine.TeacherId);

        var courses = await (await teacher.GetAsync($"{Base}/courses?limit=500")).JsonAsync();
        Assert.NotEmpty(courses.GetProperty("data").EnumerateArray());
        Assert.All(courses.GetProperty("data").EnumerateArray(), c => Assert.Equal(mine.TeacherId, c.GetProperty("teacher_id").GetInt64()));
        var lessons = await (await teacher.GetAsync($"{Base}/lessons?from=2026-09-01&to=2026-09-11&limit=500")).JsonAsync();
        Assert.NotEmpty(lessons.GetProperty("data").EnumerateArray());
        Assert.All(lessons.GetProperty("data").EnumerateArray(), l => Assert.Equal(mine.TeacherId, l.GetProperty("teacher_id").GetInt64()));

        var created = await teacher.PostAsJsonAsync($"{Base}/lessons", LessonOf(mine.CourseId));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var own = await (await teacher.PostAsJsonAsync($"{Base}/lessons/{await LessonOfAsync(mine.CourseId)}/attendance",
            new { marks = Array.Empty<object>() })).Content.ReadAsStringAsync();
        Assert.Contains("marks", own, StringComparison.Ordinal);

        var inBody = await (await teacher.PostAsJsonAsync($"{Base}/lessons", LessonOf(theirs.CourseId))).AssertProblemAsync(HttpStatusCode.Forbidden, "not_your_course");
        Assert.True(inBody.GetProperty("errors").TryGetProperty("course_id", out _));
        var theirLesson = await LessonOfAsync(theirs.CourseId);
        await (await teacher.PatchAsJsonAsync($"{Base}/lessons/{theirLesson}", new { room = "Z9" })).AssertProblemAsync(HttpStatusCode.Forbidden, "not_your_course");
        await (await teacher.DeleteAsync($"{Base}/lessons/{theirLesson}?cascade=true")).AssertProblemAsync(HttpStatusCode.Forbidden, "not_your_course");
        await (await teacher.PostAsJsonAsync($"{Base}/lessons/{theirLesson}/attendance", new { marks = new[] { new { student_id = 1, status = "present" } } }))
            .AssertProblemAsync(HttpStatusCode.Forbidden, "not_your_course");
        var ownLesson = created.Headers.Location!.ToString();
        await (await teacher.PatchAsJsonAsync(ownLesson, new { course_id = theirs.CourseId })).AssertProblemAsync(HttpStatusCode.Forbidden, "not_your_course");

        await (await teacher.PostAsJsonAsync($"{Base}/users", new { role = "student", given_name = "A", family_name = "B" }))
            .AssertProblemAsync(HttpStatusCode.Forbidden, "insufficient_scope");
    }

    [Fact]
    public async Task ASchoolAdminActsOnTheWholeSchool()
    {
        var (_, theirs) = await CoursesOfTwoTeachersAsync();
        await using var connection = await app.DataSource.OpenConnectionAsync();
        var adminId = await connection.ExecuteScalarAsync<long>("select min(user_id) from users where school_id = @School and role = 'admin'", new { School });
        var admin = await app.ActAsAsync(School, adminId);

        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync($"{Base}/lessons", LessonOf(theirs.CourseId))).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync($"{Base}/users", new { role = "student", given_name = "New", family_name = "Pupil" })).StatusCode);
    }

    [Fact]
    public async Task AStudentSeesOnlyTheirOwnProfileLessonsAndAttendance()
    {
        await using var connection = await app.DataSource.OpenConnectionAsync();
        var (me, other) = await connection.QuerySingleAsync<(long, long)>("""
            select min(student_id), max(student_id) from attendance_records where school_id = @School
            """, new { School });
        var student = await app.ActAsAsync(School, me);

        Assert.Equal(HttpStatusCode.OK, (await student.GetAsync($"{Base}/users/{me}")).StatusCode);
        await (await student.GetAsync($"{Base}/users/{other}")).AssertProblemAsync(HttpStatusCode.NotFound, "user_not_found");
        var people = await (await student.GetAsync($"{Base}/users")).JsonAsync();
        Assert.Equal(me, people.GetProperty("data").EnumerateArray().Single().GetProperty("user_id").GetInt64());

        var enrolled = (await connection.QueryAsync<long>("select course_id from enrolments where school_id = @School and student_id = @me", new { School, me })).ToHashSet();
        var lessons = await (await student.GetAsync($"{Base}/lessons?from=2026-09-01&to=2026-09-04&limit=500")).JsonAsync();
        Assert.NotEmpty(lessons.GetProperty("data").EnumerateArray());
        Assert.All(lessons.GetProperty("data").EnumerateArray(), l => Assert.Contains(l.GetProperty("course_id").GetInt64(), enrolled));
        var notMine = await connection.ExecuteScalarAsync<long>(
            "select min(lesson_id) from lessons where school_id = @School and course_id <> all(@enrolled)", new { School, enrolled = enrolled.ToArray() });
        await (await student.GetAsync($"{Base}/lessons/{notMine}")).AssertProblemAsync(HttpStatusCode.NotFound, "lesson_not_found");

        var lesson = lessons.GetProperty("data")[0].GetProperty("lesson_id").GetInt64();
        var register = await (await student.GetAsync($"{Base}/lessons/{lesson}/attendance")).JsonAsync();
        Assert.All(register.GetProperty("data").EnumerateArray(), m => Assert.Equal(me, m.GetProperty("student_id").GetInt64()));
        await (await student.GetAsync($"{Base}/students/{other}/attendance")).AssertProblemAsync(HttpStatusCode.NotFound, "student_not_found");

        var summary = await (await student.GetAsync($"/stats/v1/attendance/summary?school_id={School}&from=2026-09-01&to=2026-09-30")).JsonAsync();
        Assert.Equal(me, summary.GetProperty("student_id").GetInt64());
        await (await student.GetAsync($"/stats/v1/attendance/summary?school_id={School}&from=2026-09-01&to=2026-09-30&student_id={other}"))
            .AssertProblemAsync(HttpStatusCode.NotFound, "student_not_found");
        await (await student.PostAsJsonAsync($"{Base}/lessons/{lesson}/attendance", new { marks = new[] { new { student_id = me, status = "present" } } }))
            .AssertProblemAsync(HttpStatusCode.Forbidden, "insufficient_scope");
    }
}
