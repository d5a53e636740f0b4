using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using StatsApi.Tests.Infrastructure;
using StatsApi.Tokens;

namespace StatsApi.Tests;

/// <summary>A person's data on request (the export) and the record of who was shown a student's data.</summary>
public class DisclosureTests(StatsApiFactory app) : IClassFixture<StatsApiFactory>
{
    private const string School = "oakwood-primary";
    private const string Base = $"/v1/schools/{School}";

    private async Task<long> StudentWithMarksAsync(int rank)
    {
        await using var connection = await app.DataSource.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<long>("""
            select student_id from attendance_records where school_id = @School
            group by student_id order by student_id offset @rank limit 1
            """, new { School, rank });
    }

    private static string RequestIdOf(HttpResponseMessage response) => response.Headers.GetValues("X-Request-Id").Single();

    [Fact]
    public async Task EachAnswerThatShowsAStudentsDataIsRecordedOnceWithItsClientAndRequest()
    {
        var student = await StudentWithMarksAsync(3);
        var credentials = await app.CreateClientAsync([School], [Scopes.UsersRead, Scopes.AttendanceRead]);
        var reader = app.CreateClient();
        reader.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await app.GetTokenAsync(credentials));

        var profile = await reader.GetAsync($"{Base}/users/{student}");
        var marks = await reader.GetAsync($"{Base}/students/{student}/attendance?from=2026-09-01&to=2026-12-31");
        var summary = await reader.GetAsync($"/stats/v1/attendance/summary?school_id={School}&from=2026-09-01&to=2026-12-31&student_id={student}");
        Assert.All(new[] { profile, marks, summary }, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        // A summary not filtered by student discloses no one's record, and a 304 shows nothing new.
        Assert.Equal(HttpStatusCode.OK, (await reader.GetAsync($"/stats/v1/attendance/summary?school_id={School}&from=2026-09-01&to=2026-12-31")).StatusCode);
        using var again = new HttpRequestMessage(HttpMethod.Get, summary.RequestMessage!.RequestUri);
        again.Headers.IfNoneMatch.Add(summary.Headers.ETag!);
        Assert.Equal(HttpStatusCode.NotModified, (await reader.SendAsync(again)).StatusCode);

        var officer = await app.CreateClientWithScopesAsync([School], Scopes.PrivacyRead);
        var page = await (await officer.GetAsync($"{Base}/users/{student}/disclosures?limit=500")).JsonAsync();
        var rows = page.GetProperty("data").EnumerateArray()
            .Where(d => d.GetProperty("client_id").GetString() == credentials.Client.ClientId)
            .Select(d => (What: d.GetProperty("what").GetString(), RequestId: d.GetProperty("request_id").GetString(), Person: d.GetProperty("person_id").ValueKind))
            .ToList();
        Assert.Equal(
            [("profile", RequestIdOf(profile), JsonValueKind.Null), ("marks", RequestIdOf(marks), JsonValueKind.Null), ("summary", RequestIdOf(summary), JsonValueKind.Null)],
            rows);
    }

    private async Task<List<(long Student, string RequestId)>> RecordedAsync(string what, string client)
    {
        await using var connection = await app.DataSource.OpenConnectionAsync();
        return (await connection.QueryAsync<(long, string)>(
            "select student_id, request_id from disclosures where school_id = @School and what = @what and client_id = @client order by student_id",
            new { School, what, client })).ToList();
    }

    [Fact]
    public async Task AnExportRecordsEachStudentOfTheRowsItSentAndNoOther()
    {
        var credentials = await app.CreateClientAsync([School], [Scopes.AttendanceRead]);
        var reader = app.CreateClient();
        reader.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await app.GetTokenAsync(credentials));

        // A limit that cuts the day short: only the students of the rows sent are disclosed.
        var response = await reader.GetAsync($"{Base}/attendance/export?from=2026-09-07&to=2026-09-07&format=ndjson&limit=40");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var sent = (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => JsonDocument.Parse(line).RootElement.GetProperty("student_id").GetInt64()).Distinct().Order().ToList();

        Assert.Equal(40, (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Equal(sent.Select(student => (student, RequestIdOf(response))).ToList(), await RecordedAsync("term_export", credentials.Client.ClientId));
    }

    [Fact]
    public async Task APageOfTheChangeFeedRecordsTheStudentsWhoseDataItCarries()
    {
        var student = await StudentWithMarksAsync(6);
        await using var connection = await app.DataSource.OpenConnectionAsync();
        var lesson = await connection.ExecuteScalarAsync<long>(
            "select lesson_id from attendance_records where school_id = @School and student_id = @student order by lesson_id limit 1", new { School, student });
        var credentials = await app.CreateClientAsync([School], [Scopes.AttendanceRead, Scopes.AttendanceWrite]);
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await app.GetTokenAsync(credentials));
        var newest = (await (await client.GetAsync($"{Base}/changes/available")).JsonAsync()).GetProperty("newest").GetString();
        var status = await connection.ExecuteScalarAsync<string>(
            "select status from attendance_records where school_id = @School and lesson_id = @lesson and student_id = @student", new { School, lesson, student });
        var corrected = await client.PatchAsync($"{Base}/lessons/{lesson}/attendance/{student}",
            JsonContent.Create(new { status = status == "present" ? "late" : "present" }));
        Assert.Equal(HttpStatusCode.OK, corrected.StatusCode);

        // The feed serves a change once no older transaction runs: look again until the page holds it.
        HttpResponseMessage? page = null;
        Assert.True(await Poll.UntilAsync(async () =>
        {
            page = await client.GetAsync($"{Base}/changes?after={newest}&types=marks");
            return (await page.JsonAsync()).GetProperty("data").GetArrayLength() > 0;
        }));

        Assert.Contains((student, RequestIdOf(page!)), await RecordedAsync("changes", credentials.Client.ClientId));
    }

    [Fact]
    public async Task AStudentReadingTheirOwnRecordIsNoDisclosureAndAnotherPersonsReadNamesThem()
    {
        var student = await StudentWithMarksAsync(4);
        await using var connection = await app.DataSource.OpenConnectionAsync();
        // Only what this test's reads recorded: another test's bulk read may name the same student.
        var since = await connection.ExecuteScalarAsync<long>("select coalesce(max(disclosure_id), 0) from disclosures");
        var teacher = await connection.ExecuteScalarAsync<long>("""
            select l.teacher_id from attendance_records a join lessons l on l.school_id = a.school_id and l.lesson_id = a.lesson_id
            where a.school_id = @School and a.student_id = @student limit 1
            """, new { School, student });
        var themselves = await app.ActAsAsync(School, student);
        Assert.Equal(HttpStatusCode.OK, (await themselves.GetAsync($"{Base}/users/{student}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await themselves.GetAsync($"/stats/v1/attendance/summary?school_id={School}&from=2026-09-01&to=2026-12-31")).StatusCode);
        var asTeacher = await app.ActAsAsync(School, teacher);
        var read = await asTeacher.GetAsync($"{Base}/students/{student}/attendance");
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);

        var recorded = (await connection.QueryAsync<(long? PersonId, string What, string RequestId)>(
            "select person_id, what, request_id from disclosures where school_id = @School and student_id = @student and disclosure_id > @since order by disclosure_id",
            new { School, student, since })).ToList();
        Assert.Equal([((long?)teacher, "marks", RequestIdOf(read))], recorded);
    }

    [Fact]
    public async Task TheExportHoldsEverythingAboutThePersonAndNoSecret()
    {
        var student = await StudentWithMarksAsync(5);
        var writer = await app.CreateClientWithScopesAsync([School], Scopes.UsersWrite);
        var created = await writer.PostAsync($"{Base}/users/{student}/api-tokens",
            new StringContent("""{"name":"Reading app"}""", System.Text.Encoding.UTF8, "application/json"));
        var secret = (await created.JsonAsync()).GetProperty("token").GetString()!;
        var officer = await app.CreateClientWithScopesAsync([School], Scopes.PrivacyRead);

        var response = await officer.GetAsync($"{Base}/users/{student}/export");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
        Assert.DoesNotContain("hash", text, StringComparison.OrdinalIgnoreCase);
        var export = JsonDocument.Parse(text).RootElement;
        await using var connection = await app.DataSource.OpenConnectionAsync();
        var row = await connection.QuerySingleAsync<(string GivenName, string? Email)>(
            "select given_name, email from users where school_id = @School and user_id = @student", new { School, student });
        Assert.Equal(row.GivenName, export.GetProperty("profile").GetProperty("given_name").GetString());
        Assert.Equal(row.Email, export.GetProperty("profile").GetProperty("email").GetString());
        Assert.Equal(await connection.ExecuteScalarAsync<int>("select count(*) from attendance_records where school_id = @School and student_id = @student", new { School, student }),
            export.GetProperty("marks").GetArrayLength());
        Assert.Equal(await connection.ExecuteScalarAsync<int>("select count(*) from enrolments where school_id = @School and student_id = @student", new { School, student }),
            export.GetProperty("enrolments").GetArrayLength());
        Assert.Equal("Reading app", export.GetProperty("api_tokens")[0].GetProperty("name").GetString());
        Assert.Contains(export.GetProperty("events").EnumerateArray(), e => e.GetProperty("action").GetString() == "create" && e.GetProperty("object_type").GetString() == "api_token");
        // The export is itself a disclosure, and lists itself.
        Assert.Contains(export.GetProperty("disclosures").EnumerateArray(),
            d => d.GetProperty("what").GetString() == "export" && d.GetProperty("request_id").GetString() == RequestIdOf(response));
    }

    [Fact]
    public async Task OnlyASchoolAdminOrAClientWithPrivacyReadReadsTheExportAndTheRecord()
    {
        var student = await StudentWithMarksAsync(6);
        await using var connection = await app.DataSource.OpenConnectionAsync();
        var adminId = await connection.ExecuteScalarAsync<long>("select min(user_id) from users where school_id = @School and role = 'admin'", new { School });
        var teacherId = await connection.ExecuteScalarAsync<long>("select min(teacher_id) from courses where school_id = @School", new { School });
        var admin = await app.ActAsAsync(School, adminId);
        var teacher = await app.ActAsAsync(School, teacherId);
        var themselves = await app.ActAsAsync(School, student);
        var everyday = await app.CreateClientWithScopesAsync([School], Scopes.UsersRead, Scopes.UsersWrite, Scopes.AttendanceRead);
        var elsewhere = await app.CreateClientWithScopesAsync(["ravenscroft-high"], Scopes.PrivacyRead);

        foreach (var path in new[] { "export", "disclosures" })
        {
            var url = $"{Base}/users/{student}/{path}";
            Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync(url)).StatusCode);
            await (await teacher.GetAsync(url)).AssertProblemAsync(HttpStatusCode.Forbidden, "insufficient_scope");
            await (await themselves.GetAsync(url)).AssertProblemAsync(HttpStatusCode.Forbidden, "insufficient_scope");
            await (await everyday.GetAsync(url)).AssertProblemAsync(HttpStatusCode.Forbidden, "insufficient_scope");
            await (await elsewhere.GetAsync(url)).AssertProblemAsync(HttpStatusCode.Forbidden, "school_not_approved");
        }
        var officer = await app.CreateClientWithScopesAsync([School], Scopes.PrivacyRead);
        var bad = await officer.GetAsync($"{Base}/users/{student}/disclosures?limit=0");
        var problem = await bad.AssertProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        Assert.True(problem.GetProperty("errors").TryGetProperty("limit", out _));
    }
}
