using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Dapper;
using StatsApi.Tests.Infrastructure;
using StatsApi.Tokens;

namespace StatsApi.Tests;

public class LessonApiTests(StatsApiFactory app) : IClassFixture<StatsApiFactory>
{
    private const string School = "oakwood-primary";
    private const string Lessons = $"/v1/schools/{School}/lessons";

    private Task<HttpClient> TeacherToolAsync() => app.CreateClientWithScopesAsync([School],
        Scopes.LessonsRead, Scopes.LessonsWrite, Scopes.AttendanceRead, Scopes.AttendanceWrite);

    private sealed record Course(long CourseId, long TeacherId);

    private async Task<Course> CourseAsync(string school = School)
    {
        await using var connection = await app.DataSource.OpenConnectionAsync();
        return await connection.QuerySingleAsync<Course>(
            "select course_id, teacher_id from courses where school_id = @school order by course_id limit 1", new { school });
    }

    private async Task<long[]> EnrolledAsync(long courseId)
    {
        await using var connection = await app.DataSource.OpenConnectionAsync();
        return (await connection.QueryAsync<long>(
            "select student_id from enrolments where school_id = @School and course_id = @courseId order by student_id", new { School, courseId })).ToArray();
    }

    private async Task<long> MismatchesAsync()
    {
        await using var connection = await app.DataSource.OpenConnectionAsync();
        return await Rollups.MismatchesAsync(connection);
    }

    private static async Task<HttpResponseMessage> CreateLessonAsync(HttpClient client, long courseId, string startsAt = "2026-10-05T09:00:00+01:00")
    {
        var startsAtValue = DateTimeOffset.Parse(startsAt, System.Globalization.CultureInfo.InvariantCulture);
        return await client.PostAsJsonAsync(Lessons, new { course_id = courseId, starts_at = startsAtValue, ends_at = startsAtValue.AddMinutes(50), room = "B12" });
    }

    private static object Register(IEnumerable<long> students, string status = "present") =>
        new { marks = students.Select(s => new { student_id = s, status }).ToArray() };

    [Fact]
    public async Task ALessonTakesItsCoursesTeacherAndIsListedByCourseTeacherAndDay()
    {
        var client = await TeacherToolAsync();
        var course = await CourseAsync();

        var created = await CreateLessonAsync(client, course.CourseId, "2026-12-01T09:00:00+00:00");

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var lesson = await created.JsonAsync();
        Assert.Equal(course.TeacherId, lesson.GetProperty("teacher_id").GetInt64());
        Assert.Equal(0, lesson.GetProperty("marks").GetInt64());
        var listed = await (await client.GetAsync($"{Lessons}?course_id={course.CourseId}&teacher_id={course.TeacherId}&from=2026-12-01&to=2026-12-01")).JsonAsync();
        Assert.Equal(lesson.GetProperty("lesson_id").GetInt64(), listed.GetProperty("data").EnumerateArray().Single().GetProperty("lesson_id").GetInt64());
    }

    [Fact]
    public async Task PagingByStartVisitsEveryLessonOnce()
    {
        var client = await TeacherToolAsync();
        var seen = new List<long>();
        var next = $"{Lessons}?from=2026-09-01&to=2026-09-11&limit=37";
        while (next is not null)
        {
            var page = await (await client.GetAsync(next)).JsonAsync();
            seen.AddRange(page.GetProperty("data").EnumerateArray().Select(l => l.GetProperty("lesson_id").GetInt64()));
            next = page.GetProperty("next").GetString();
        }
        await using var connection = await app.DataSource.OpenConnectionAsync();
        var expected = (await connection.QueryAsync<long>("""
            select lesson_id from lessons l join schools s using (school_id)
            where school_id = @School and (starts_at at time zone s.time_zone)::date between '2026-09-01' and '2026-09-11'
            order by starts_at, lesson_id
            """, new { School })).ToList();
        Assert.True(expected.Count > 100);
        Assert.Equal(expected, seen);
    }

    [Fact]
    public async Task RecordingARegisterUpsertsPerStudentAndKeepsTheRollupsExact()
    {
        var client = await TeacherToolAsync();
        var course = await CourseAsync();
        var students = await EnrolledAsync(course.CourseId);
        var lessonId = (await (await CreateLessonAsync(client, course.CourseId)).JsonAsync()).GetProperty("lesson_id").GetInt64();
        var register = $"{Lessons}/{lessonId}/attendance";

        var first = await (await client.PostAsJsonAsync(register, Register(students))).JsonAsync();
        Assert.Equal(students.Length, first.GetProperty("created").GetInt32());

        var changed = new { marks = students.Select((s, i) => new { student_id = s, status = i < 3 ? "absent" : "present" }).ToArray() };
        var second = await (await client.PostAsJsonAsync(register, changed)).JsonAsync();
        Assert.Equal(0, second.GetProperty("created").GetInt32());
        Assert.Equal(3, second.GetProperty("updated").GetInt32());
        Assert.Equal(students.Length - 3, second.GetProperty("unchanged").GetInt32());

        var marks = await (await client.GetAsync($"{register}?limit=500")).JsonAsync();
        Assert.Equal(3, marks.GetProperty("data").EnumerateArray().Count(m => m.GetProperty("status").GetString() == "absent"));
        Assert.Equal(0, await MismatchesAsync());
    }

    [Fact]
    public async Task ARegisterNamingAnotherSchoolsStudentOrAStrangerChangesNothing()
    {
        var client = await TeacherToolAsync();
        var course = await CourseAsync();
        var students = await EnrolledAsync(course.CourseId);
        var lessonId = (await (await CreateLessonAsync(client, course.CourseId)).JsonAsync()).GetProperty("lesson_id").GetInt64();
        await using var connection = await app.DataSource.OpenConnectionAsync();
        var foreign = await connection.ExecuteScalarAsync<long>("select min(user_id) from users where school_id = 'ravenscroft-high' and role = 'student'");
        var stranger = await connection.ExecuteScalarAsync<long>("""
            select min(user_id) from users u where school_id = @School and role = 'student'
            and not exists (select 1 from enrolments e where e.school_id = u.school_id and e.course_id = @CourseId and e.student_id = u.user_id)
            """, new { School, course.CourseId });
        var before = await DatabaseSnapshot.TakeAsync(app.DataSource);

        var asForeign = await (await client.PostAsJsonAsync($"{Lessons}/{lessonId}/attendance", Register(students.Append(foreign))))
            .AssertProblemAsync(HttpStatusCode.NotFound, "student_not_found");
        var asStranger = await (await client.PostAsJsonAsync($"{Lessons}/{lessonId}/attendance", Register(students.Append(stranger))))
            .AssertProblemAsync(HttpStatusCode.UnprocessableEntity, "student_not_in_lesson");

        Assert.True(asForeign.GetProperty("errors").TryGetProperty($"marks[{students.Length}].student_id", out _));
        Assert.True(asStranger.GetProperty("errors").TryGetProperty($"marks[{students.Length}].student_id", out _));
        Assert.Equal(before, await DatabaseSnapshot.TakeAsync(app.DataSource));
    }

    public static TheoryData<string, string> BadRegisters => new()
    {
        { """{"marks":[]}""", "marks" },
        { """{}""", "marks" },
        { """{"marks":[{"student_id":1,"status":"asleep"}]}""", "marks[0].status" },
        { """{"marks":[{"status":"present"}]}""", "marks[0].student_id" },
        { """{"marks":[{"student_id":5,"status":"present"},{"student_id":5,"status":"late"}]}""", "marks[1].student_id" },
        { """{"marks":[{"student_id":"five","status":"present"}]}""", "marks[0].student_id" },
        { "{\"marks\":[" + string.Join(',', Enumerable.Range(1, 1001).Select(i => $"{{\"student_id\":{i},\"status\":\"present\"}}")) + "]}", "marks" },
    };

    [Theory]
    [MemberData(nameof(BadRegisters))]
    public async Task ABadRegisterIs400NamingTheField(string json, string field)
    {
        var client = await TeacherToolAsync();
        var lessonId = (await (await CreateLessonAsync(client, (await CourseAsync()).CourseId)).JsonAsync()).GetProperty("lesson_id").GetInt64();

        var response = await client.PostAsync($"{Lessons}/{lessonId}/attendance", new StringContent(json, System.Text.Encoding.UTF8, "application/json"));

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
    }

    [Fact]
    public async Task ARescheduledLessonCarriesItsMarksToTheNewDay()
    {
        var client = await TeacherToolAsync();
        var summaries = await app.CreateClientForSchoolsAsync(School);
        var course = await CourseAsync();
        var created = await CreateLessonAsync(client, course.CourseId, "2026-12-02T09:00:00+00:00");
        var lesson = created.Headers.Location!.ToString();
        await client.PostAsJsonAsync($"{lesson}/attendance", Register(await EnrolledAsync(course.CourseId)));

        using var move = new HttpRequestMessage(HttpMethod.Patch, lesson)
        {
            Content = JsonContent.Create(new { starts_at = DateTimeOffset.Parse("2026-12-03T09:00:00+00:00", System.Globalization.CultureInfo.InvariantCulture), ends_at = DateTimeOffset.Parse("2026-12-03T09:50:00+00:00", System.Globalization.CultureInfo.InvariantCulture) }),
        };
        move.Headers.IfMatch.Add(created.Headers.ETag!);
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(move)).StatusCode);

        var day = await (await summaries.GetAsync($"/stats/v1/attendance/summary?school_id={School}&from=2026-12-02&to=2026-12-03&group_by=day")).JsonAsync();
        Assert.Equal("2026-12-03", day.GetProperty("groups").EnumerateArray().Single().GetProperty("key").GetString());
        Assert.Equal(0, await MismatchesAsync());
    }

    [Fact]
    public async Task ALessonWithMarksIsDeletedOnlyWithCascadeAndIfMatch()
    {
        var client = await TeacherToolAsync();
        var course = await CourseAsync();
        var created = await CreateLessonAsync(client, course.CourseId, "2026-12-04T09:00:00+00:00");
        var lesson = created.Headers.Location!.ToString();
        var students = await EnrolledAsync(course.CourseId);
        await client.PostAsJsonAsync($"{lesson}/attendance", Register(students));
        var etag = (await client.GetAsync(lesson)).Headers.ETag!;

        var conflict = await (await client.DeleteAsync(lesson)).AssertProblemAsync(HttpStatusCode.Conflict, "lesson_has_attendance");
        Assert.Equal(students.Length, conflict.GetProperty("marks").GetInt64());
        await (await client.DeleteAsync($"{lesson}?cascade=true")).AssertProblemAsync(HttpStatusCode.PreconditionRequired, "precondition_required");
        await (await DeleteWithIfMatchAsync(client, $"{lesson}?cascade=true", new EntityTagHeaderValue("\"v999\""))).AssertProblemAsync(HttpStatusCode.PreconditionFailed, "stale_version");
        Assert.Equal(students.Length, (await (await client.GetAsync(lesson)).JsonAsync()).GetProperty("marks").GetInt64());

        Assert.Equal(HttpStatusCode.NoContent, (await DeleteWithIfMatchAsync(client, $"{lesson}?cascade=true", etag)).StatusCode);
        await (await client.GetAsync(lesson)).AssertProblemAsync(HttpStatusCode.NotFound, "lesson_not_found");
        Assert.Equal(0, await MismatchesAsync());
    }

    [Fact]
    public async Task ALessonWithoutMarksIsDeletedPlainly()
    {
        var client = await TeacherToolAsync();
        var lesson = (await CreateLessonAsync(client, (await CourseAsync()).CourseId)).Headers.Location!.ToString();

        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync(lesson)).StatusCode);
        await (await client.DeleteAsync(lesson)).AssertProblemAsync(HttpStatusCode.NotFound, "lesson_not_found");
    }

    [Fact]
    public async Task OneMarkIsCorrectedWithIfMatchAndDeleted()
    {
        var client = await TeacherToolAsync();
        var course = await CourseAsync();
        var lesson = (await CreateLessonAsync(client, course.CourseId)).Headers.Location!.ToString();
        var student = (await EnrolledAsync(course.CourseId))[0];
        await client.PostAsJsonAsync($"{lesson}/attendance", Register([student]));
        var mark = $"{lesson}/attendance/{student}";
        var etag = (await client.GetAsync(mark)).Headers.ETag!;

        using var correct = new HttpRequestMessage(HttpMethod.Patch, mark) { Content = JsonContent.Create(new { status = "late" }) };
        correct.Headers.IfMatch.Add(etag);
        var corrected = await client.SendAsync(correct);
        Assert.Equal("late", (await corrected.JsonAsync()).GetProperty("status").GetString());
        await (await DeleteWithIfMatchAsync(client, mark, etag)).AssertProblemAsync(HttpStatusCode.PreconditionFailed, "stale_version");

        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync(mark)).StatusCode);
        await (await client.GetAsync(mark)).AssertProblemAsync(HttpStatusCode.NotFound, "mark_not_found");
        Assert.Equal(0, await MismatchesAsync());
    }

    [Fact]
    public async Task AStudentsMarksAreListedByDayAndTheReadIsAudited()
    {
        var client = await TeacherToolAsync();
        await using var connection = await app.DataSource.OpenConnectionAsync();
        var student = await connection.ExecuteScalarAsync<long>("select min(student_id) from attendance_records where school_id = @School", new { School });

        var response = await client.GetAsync($"/v1/schools/{School}/students/{student}/attendance?from=2026-09-01&to=2026-09-04&limit=500");

        var marks = (await response.JsonAsync()).GetProperty("data").EnumerateArray().ToList();
        var expected = await connection.ExecuteScalarAsync<long>("""
            select count(*) from attendance_records a join lessons l using (school_id, lesson_id) join schools s using (school_id)
            where a.school_id = @School and a.student_id = @student and (l.starts_at at time zone s.time_zone)::date between '2026-09-01' and '2026-09-04'
            """, new { School, student });
        Assert.Equal(expected, marks.Count);
        Assert.True(expected > 0);
        var requestId = response.Headers.GetValues("X-Request-Id").Single();
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>(
            "select count(*) from audit_events where school_id = @School and object_type = 'student' and request_id = @requestId", new { School, requestId }));
    }

    [Fact]
    public async Task AnotherSchoolsIdsAnswerLikeMissingOnes()
    {
        var client = await TeacherToolAsync();
        var foreignCourse = await CourseAsync("ravenscroft-high");
        await using var connection = await app.DataSource.OpenConnectionAsync();
        var foreignLesson = await connection.ExecuteScalarAsync<long>("select min(lesson_id) from lessons where school_id = 'ravenscroft-high'");

        var problem = await (await CreateLessonAsync(client, foreignCourse.CourseId)).AssertProblemAsync(HttpStatusCode.NotFound, "course_not_found");
        Assert.True(problem.GetProperty("errors").TryGetProperty("course_id", out _));
        await (await client.GetAsync($"{Lessons}/{foreignLesson}")).AssertProblemAsync(HttpStatusCode.NotFound, "lesson_not_found");
        await (await client.GetAsync($"{Lessons}/{foreignLesson}/attendance")).AssertProblemAsync(HttpStatusCode.NotFound, "lesson_not_found");
        await (await client.PostAsJsonAsync($"{Lessons}/{foreignLesson}/attendance", Register([1]))).AssertProblemAsync(HttpStatusCode.NotFound, "lesson_not_found");
        await (await client.DeleteAsync($"{Lessons}/{foreignLesson}")).AssertProblemAsync(HttpStatusCode.NotFound, "lesson_not_found");
        await (await client.GetAsync($"/v1/schools/ravenscroft-high/lessons")).AssertProblemAsync(HttpStatusCode.Forbidden, "school_not_approved");
    }

    [Fact]
    public async Task ReadScopesDoNotWrite()
    {
        var client = await app.CreateClientWithScopesAsync([School], Scopes.LessonsRead, Scopes.AttendanceRead);
        var course = await CourseAsync();

        await (await CreateLessonAsync(client, course.CourseId)).AssertProblemAsync(HttpStatusCode.Forbidden, "insufficient_scope");
        await (await client.PostAsJsonAsync($"{Lessons}/1/attendance", Register([1]))).AssertProblemAsync(HttpStatusCode.Forbidden, "insufficient_scope");
    }

    private static async Task<HttpResponseMessage> DeleteWithIfMatchAsync(HttpClient client, string path, EntityTagHeaderValue etag)
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, path);
        request.Headers.IfMatch.Add(etag);
        return await client.SendAsync(request);
    }
}
