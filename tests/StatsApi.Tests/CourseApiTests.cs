using System.Net;
using System.Net.Http.Json;
using Dapper;
using StatsApi.Tests.Infrastructure;
using StatsApi.Tokens;

namespace StatsApi.Tests;

public class CourseApiTests(StatsApiFactory app) : IClassFixture<StatsApiFactory>
{
    private const string School = "oakwood-primary";
    private const string Courses = $"/v1/schools/{School}/courses";

    private Task<HttpClient> WriterAsync() => app.CreateClientWithScopesAsync([School], Scopes.CoursesRead, Scopes.CoursesWrite);

    private async Task<long> UserAsync(string school, string role)
    {
        await using var connection = await app.DataSource.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<long>("select min(user_id) from users where school_id = @school and role = @role", new { school, role });
    }

    [Fact]
    public async Task ACourseIsCreatedReadAndRenamedWithItsTeacher()
    {
        var client = await WriterAsync();
        var teacher = await UserAsync(School, "teacher");

        var created = await client.PostAsJsonAsync(Courses, new { code = "ART-X1", name = "Art club", teacher_id = teacher });

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var path = created.Headers.Location!.ToString();
        var read = await client.GetAsync(path);
        Assert.Equal(teacher, (await read.JsonAsync()).GetProperty("teacher_id").GetInt64());
        Assert.Equal(created.Headers.ETag, read.Headers.ETag);

        using var patch = new HttpRequestMessage(HttpMethod.Patch, path) { Content = JsonContent.Create(new { name = "Art and design" }) };
        patch.Headers.IfMatch.Add(read.Headers.ETag!);
        var renamed = await client.SendAsync(patch);
        Assert.Equal("Art and design", (await renamed.JsonAsync()).GetProperty("name").GetString());

        var listed = await (await client.GetAsync($"{Courses}?teacher_id={teacher}&q=art+and&limit=500")).JsonAsync();
        Assert.Contains(listed.GetProperty("data").EnumerateArray(), c => c.GetProperty("code").GetString() == "ART-X1");
    }

    [Fact]
    public async Task ATakenCodeIs409NamingCode()
    {
        var client = await WriterAsync();
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsJsonAsync(Courses, new { code = "DUP-1", name = "One" })).StatusCode);

        var problem = await (await client.PostAsJsonAsync(Courses, new { code = "DUP-1", name = "Two" })).AssertProblemAsync(HttpStatusCode.Conflict, "code_taken");

        Assert.True(problem.GetProperty("errors").TryGetProperty("code", out _));
    }

    [Fact]
    public async Task ATeacherOfAnotherSchoolAnswersLikeAMissingOneAndAStudentIsNoTeacher()
    {
        var client = await WriterAsync();
        var before = await DatabaseSnapshot.TakeAsync(app.DataSource);

        var foreign = await (await client.PostAsJsonAsync(Courses, new { code = "X-1", name = "X", teacher_id = await UserAsync("ravenscroft-high", "teacher") }))
            .AssertProblemAsync(HttpStatusCode.NotFound, "teacher_not_found");
        var missing = await (await client.PostAsJsonAsync(Courses, new { code = "X-1", name = "X", teacher_id = 987654321 }))
            .AssertProblemAsync(HttpStatusCode.NotFound, "teacher_not_found");
        var student = await (await client.PostAsJsonAsync(Courses, new { code = "X-1", name = "X", teacher_id = await UserAsync(School, "student") }))
            .AssertProblemAsync(HttpStatusCode.UnprocessableEntity, "not_a_teacher");

        Assert.Equal(missing.GetProperty("title").GetString(), foreign.GetProperty("title").GetString());
        Assert.True(student.GetProperty("errors").TryGetProperty("teacher_id", out _));
        Assert.Equal(before, await DatabaseSnapshot.TakeAsync(app.DataSource));
    }

    [Fact]
    public async Task AnotherSchoolsCourseIdAnswersLikeAMissingOne()
    {
        var client = await WriterAsync();
        await using var connection = await app.DataSource.OpenConnectionAsync();
        var foreign = await connection.ExecuteScalarAsync<long>("select min(course_id) from courses where school_id = 'ravenscroft-high'");

        await (await client.GetAsync($"{Courses}/{foreign}")).AssertProblemAsync(HttpStatusCode.NotFound, "course_not_found");
        await (await client.GetAsync($"{Courses}/{foreign}/enrolments")).AssertProblemAsync(HttpStatusCode.NotFound, "course_not_found");
        await (await client.PutAsync($"{Courses}/{foreign}/enrolments/{await UserAsync(School, "student")}", null))
            .AssertProblemAsync(HttpStatusCode.NotFound, "course_not_found");
    }

    [Fact]
    public async Task EnrollingIsSafeToRepeatAndRemovingKeepsAttendance()
    {
        var client = await WriterAsync();
        var course = (await (await client.PostAsJsonAsync(Courses, new { code = "ENR-1", name = "Enrol" })).JsonAsync()).GetProperty("course_id").GetInt64();
        var student = await UserAsync(School, "student");
        var path = $"{Courses}/{course}/enrolments/{student}";

        var first = await client.PutAsJsonAsync(path, new { enrolled_on = "2026-09-07" });
        var again = await client.PutAsync(path, null);

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal("2026-09-07", (await again.JsonAsync()).GetProperty("enrolled_on").GetString());
        var listed = await (await client.GetAsync($"{Courses}/{course}/enrolments")).JsonAsync();
        Assert.Equal(student, listed.GetProperty("data").EnumerateArray().Single().GetProperty("student_id").GetInt64());

        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync(path)).StatusCode);
        await (await client.DeleteAsync(path)).AssertProblemAsync(HttpStatusCode.NotFound, "enrolment_not_found");
    }

    [Fact]
    public async Task OnlyStudentsOfTheSchoolCanBeEnrolled()
    {
        var client = await WriterAsync();
        var course = (await (await client.PostAsJsonAsync(Courses, new { code = "ENR-2", name = "Enrol" })).JsonAsync()).GetProperty("course_id").GetInt64();

        await (await client.PutAsync($"{Courses}/{course}/enrolments/{await UserAsync("ravenscroft-high", "student")}", null))
            .AssertProblemAsync(HttpStatusCode.NotFound, "student_not_found");
        await (await client.PutAsync($"{Courses}/{course}/enrolments/{await UserAsync(School, "teacher")}", null))
            .AssertProblemAsync(HttpStatusCode.UnprocessableEntity, "not_a_student");
    }

    [Fact]
    public async Task ScopesAndSchoolsAreChecked()
    {
        var reader = await app.CreateClientWithScopesAsync([School], Scopes.CoursesRead);
        await (await reader.PostAsJsonAsync(Courses, new { code = "NOPE", name = "No" })).AssertProblemAsync(HttpStatusCode.Forbidden, "insufficient_scope");
        var writer = await WriterAsync();
        await (await writer.GetAsync("/v1/schools/ravenscroft-high/courses")).AssertProblemAsync(HttpStatusCode.Forbidden, "school_not_approved");
    }
}
