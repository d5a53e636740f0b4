using System.Net;
using System.Net.Http.Json;
using Dapper;
using StatsApi.Auth;
using StatsApi.Tests.Infrastructure;
using StatsApi.Tokens;

namespace StatsApi.Tests;

public class ErasureTests(StatsApiFactory app) : IClassFixture<StatsApiFactory>
{
    private const string School = "oakwood-primary";
    private const string Base = $"/v1/schools/{School}";
    private const string Day = "2026-10-14";

    private static readonly object Reason = new { reason = "erasure_request", reference = "DPO-2026-014" };

    /// <summary>A student of the school's own making, enrolled in a demo course, marked absent in a lesson of it, holding an API token.</summary>
    private sealed record Pupil(long UserId, long CourseId, long TeacherId, long LessonId, string Email, string ApiToken);

    private async Task<Pupil> PupilAsync(HttpClient writer, string family)
    {
        var email = $"{family.ToLowerInvariant()}.{Guid.NewGuid():N}@oakwood-primary.example";
        using var create = new HttpRequestMessage(HttpMethod.Post, $"{Base}/users")
        {
            Content = JsonContent.Create(new { role = "student", given_name = "Zebedee", family_name = family, email }),
        };
        // The stored answer of this key holds the name and the e-mail: the erasure must drop it too.
        create.Headers.Add("Idempotency-Key", $"pupil-{Guid.NewGuid():N}");
        var created = await writer.SendAsync(create);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var userId = (await created.JsonAsync()).GetProperty("user_id").GetInt64();

        await using var connection = await app.DataSource.OpenConnectionAsync();
        var (courseId, teacherId) = await connection.QuerySingleAsync<(long, long)>(
            "select course_id, teacher_id from courses where school_id = @School and teacher_id is not null order by course_id limit 1", new { School });
        (await writer.PutAsJsonAsync($"{Base}/courses/{courseId}/enrolments/{userId}", new { })).EnsureSuccessStatusCode();
        var start = DateTimeOffset.Parse($"{Day}T15:00:00Z", System.Globalization.CultureInfo.InvariantCulture).AddMinutes(userId % 50);
        var lesson = await writer.PostAsJsonAsync($"{Base}/lessons", new { course_id = courseId, starts_at = start, ends_at = start.AddMinutes(30) });
        Assert.Equal(HttpStatusCode.Created, lesson.StatusCode);
        var lessonId = (await lesson.JsonAsync()).GetProperty("lesson_id").GetInt64();
        (await writer.PostAsJsonAsync($"{Base}/lessons/{lessonId}/attendance",
            new { marks = new[] { new { student_id = userId, status = "absent" } } })).EnsureSuccessStatusCode();
        var token = await writer.PostAsJsonAsync($"{Base}/users/{userId}/api-tokens", new { name = $"Zebedee's tablet {family}" });
        Assert.Equal(HttpStatusCode.Created, token.StatusCode);
        return new Pupil(userId, courseId, teacherId, lessonId, email, (await token.JsonAsync()).GetProperty("token").GetString()!);
    }

    private Task<HttpClient> WriterAsync() =>
        app.CreateClientWithScopesAsync([School], Scopes.UsersRead, Scopes.UsersWrite, Scopes.CoursesWrite, Scopes.LessonsWrite, Scopes.AttendanceWrite, Scopes.AttendanceRead);

    /// <summary>Every summary the pupil's mark counts in: each range that holds their lesson, each grouping, each filter that keeps it.</summary>
    private static async Task<Dictionary<string, string>> SummariesAsync(HttpClient reader, Pupil pupil)
    {
        var answers = new Dictionary<string, string>();
        foreach (var (from, to) in new[] { ("2026-09-01", "2026-12-31"), (Day, Day), ("2026-10-12", "2026-10-18"), ("2026-10-01", "2026-10-31") })
        {
            foreach (var groupBy in new[] { "", "day", "week", "month", "course" })
            {
                foreach (var filter in new[] { "", $"course_id={pupil.CourseId}", $"teacher_id={pupil.TeacherId}" })
                {
                    var url = $"/stats/v1/attendance/summary?school_id={School}&from={from}&to={to}"
                              + (groupBy.Length > 0 ? $"&group_by={groupBy}" : "") + (filter.Length > 0 ? $"&{filter}" : "");
                    var response = await reader.GetAsync(url);
                    Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                    answers[url] = await response.Content.ReadAsStringAsync();
                }
            }
        }
        return answers;
    }

    [Fact]
    public async Task ErasureRemovesTheIdentityForGoodAndLeavesEverySummaryExactlyAsItWas()
    {
        var writer = await WriterAsync();
        var pupil = await PupilAsync(writer, "Quillfeather");
        var reader = await app.CreateClientWithScopesAsync([School], Scopes.AttendanceRead);
        var before = await SummariesAsync(reader, pupil);
        var theirs = $"/stats/v1/attendance/summary?school_id={School}&from={Day}&to={Day}&student_id={pupil.UserId}";
        Assert.Equal(1, (await (await reader.GetAsync(theirs)).JsonAsync()).GetProperty("totals").GetProperty("absent").GetInt32());
        var tool = await app.CreateClientAsync([School], [Scopes.UsersRead]);
        Assert.Equal(HttpStatusCode.OK, (await ExchangeAsync(tool, pupil.ApiToken)).StatusCode);
        var asPupil = await app.ActAsAsync(School, pupil.UserId);
        Assert.Equal(HttpStatusCode.OK, (await asPupil.GetAsync("/v1/me/api-tokens")).StatusCode);

        var eraser = await app.CreateClientWithScopesAsync([School], Scopes.PrivacyWrite);
        var erased = await eraser.PostAsJsonAsync($"{Base}/users/{pupil.UserId}/erasure", Reason);

        Assert.Equal(HttpStatusCode.OK, erased.StatusCode);
        var answer = await erased.JsonAsync();
        Assert.Equal(pupil.UserId, answer.GetProperty("user_id").GetInt64());
        Assert.Equal("erasure_request", answer.GetProperty("reason").GetString());
        Assert.Equal(2, answer.GetProperty("api_tokens_revoked").GetInt32());

        // Every summary of every range and grouping that counted the mark still counts it.
        Assert.Equal(before, await SummariesAsync(reader, pupil));

        // The person answers as one that does not exist, wherever they are asked for.
        var admin = await app.CreateClientWithScopesAsync([School], [.. Scopes.All.Where(s => s != Scopes.Admin)]);
        await (await admin.GetAsync($"{Base}/users/{pupil.UserId}")).AssertProblemAsync(HttpStatusCode.NotFound, "user_not_found");
        await (await admin.PatchAsJsonAsync($"{Base}/users/{pupil.UserId}", new { given_name = "Back" })).AssertProblemAsync(HttpStatusCode.NotFound, "user_not_found");
        await (await admin.GetAsync($"{Base}/students/{pupil.UserId}/attendance")).AssertProblemAsync(HttpStatusCode.NotFound, "student_not_found");
        await (await admin.GetAsync(theirs)).AssertProblemAsync(HttpStatusCode.NotFound, "student_not_found");
        await (await admin.GetAsync($"{Base}/users/{pupil.UserId}/export")).AssertProblemAsync(HttpStatusCode.NotFound, "user_not_found");
        await (await admin.PutAsJsonAsync($"{Base}/courses/{pupil.CourseId}/enrolments/{pupil.UserId}", new { })).AssertProblemAsync(HttpStatusCode.NotFound, "student_not_found");
        var listed = await (await admin.GetAsync($"{Base}/users?q=Zebedee&limit=500")).JsonAsync();
        Assert.DoesNotContain(listed.GetProperty("data").EnumerateArray(), u => u.GetProperty("user_id").GetInt64() == pupil.UserId);

        // No row of any table holds the name, the e-mail or the token's name any more; the placeholder row and the mark stay.
        await using var connection = await app.DataSource.OpenConnectionAsync();
        var row = await connection.QuerySingleAsync<(string GivenName, string FamilyName, string? Email, bool Active)>(
            "select given_name, family_name, email, active from users where school_id = @School and user_id = @UserId", new { School, pupil.UserId });
        Assert.Equal(("Erased", "Erased", (string?)null, false), row);
        var dump = await connection.ExecuteScalarAsync<string>("""
            select string_agg(t::text, E'\n') from (
                select u::text as t from users u where school_id = @School
                union all select k::text from idempotency_keys k where school_id = @School
                union all select a::text from user_api_tokens a where school_id = @School
                union all select e::text from audit_events e where school_id = @School
                union all select r::text from erasures r where school_id = @School) rows
            """, new { School });
        Assert.DoesNotContain("Quillfeather", dump!, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(pupil.Email, dump!, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>(
            "select count(*) from attendance_records where school_id = @School and student_id = @UserId", new { School, pupil.UserId }));

        // Their API token no longer buys anything; tokens issued before stop at the next reload of revocations.
        await (await ExchangeAsync(tool, pupil.ApiToken)).AssertOAuthErrorAsync(HttpStatusCode.BadRequest, "invalid_grant");
        await app.Services.GetRequiredService<Revocations>().RefreshAsync();
        await (await asPupil.GetAsync("/v1/me/api-tokens")).AssertProblemAsync(HttpStatusCode.Unauthorized, "token_revoked");

        // Audited once: who, when and why, by ids and the reason's code only.
        var audit = await connection.QuerySingleAsync<(string ClientId, string RequestId)>(
            "select client_id, request_id from audit_events where school_id = @School and action = 'erase' and object_id = @id",
            new { School, id = pupil.UserId.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        Assert.Equal(erased.Headers.GetValues("X-Request-Id").Single(), audit.RequestId);
        Assert.Equal("DPO-2026-014", await connection.ExecuteScalarAsync<string>(
            "select reference from erasures where school_id = @School and user_id = @UserId and request_id = @RequestId", new { School, pupil.UserId, audit.RequestId }));
    }

    private async Task<HttpResponseMessage> ExchangeAsync(StatsApi.Clients.ClientCredentials tool, string apiToken)
    {
        using var exchange = new HttpRequestMessage(HttpMethod.Post, "/oauth/token");
        exchange.Headers.TryAddWithoutValidation("client_secret", tool.ClientSecret);
        exchange.Headers.TryAddWithoutValidation("Authorization", $"Basic {apiToken}");
        return await app.CreateClient().SendAsync(exchange);
    }

    [Fact]
    public async Task ErasingAgainAnswersTheSameAndChangesNothing()
    {
        var pupil = await PupilAsync(await WriterAsync(), "Twiceover");
        var eraser = await app.CreateClientWithScopesAsync([School], Scopes.PrivacyWrite);
        var first = await (await eraser.PostAsJsonAsync($"{Base}/users/{pupil.UserId}/erasure", Reason)).JsonAsync();
        var again = await eraser.PostAsJsonAsync($"{Base}/users/{pupil.UserId}/erasure", new { reason = "other" });

        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        var second = await again.JsonAsync();
        Assert.Equal(first.GetProperty("erased_at").GetDateTime(), second.GetProperty("erased_at").GetDateTime());
        Assert.Equal("erasure_request", second.GetProperty("reason").GetString());
        Assert.Equal(0, second.GetProperty("api_tokens_revoked").GetInt32());
        await using var connection = await app.DataSource.OpenConnectionAsync();
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>(
            "select count(*) from audit_events where school_id = @School and action = 'erase' and object_id = @id",
            new { School, id = pupil.UserId.ToString(System.Globalization.CultureInfo.InvariantCulture) }));
    }

    [Fact]
    public async Task ASchoolAdminErasesAndATeacherOrAClientWithoutTheScopeMayNot()
    {
        var writer = await WriterAsync();
        var pupil = await PupilAsync(writer, "Roleplay");
        await using var connection = await app.DataSource.OpenConnectionAsync();
        var adminId = await connection.ExecuteScalarAsync<long>("select min(user_id) from users where school_id = @School and role = 'admin' and erased_at is null", new { School });
        var teacher = await app.ActAsAsync(School, pupil.TeacherId);
        var path = $"{Base}/users/{pupil.UserId}/erasure";

        await (await teacher.PostAsJsonAsync(path, Reason)).AssertProblemAsync(HttpStatusCode.Forbidden, "insufficient_scope");
        await (await writer.PostAsJsonAsync(path, Reason)).AssertProblemAsync(HttpStatusCode.Forbidden, "insufficient_scope");
        var elsewhere = await app.CreateClientWithScopesAsync(["ravenscroft-high"], Scopes.PrivacyWrite);
        await (await elsewhere.PostAsJsonAsync(path, Reason)).AssertProblemAsync(HttpStatusCode.Forbidden, "school_not_approved");
        Assert.Equal("Zebedee", await connection.ExecuteScalarAsync<string>(
            "select given_name from users where school_id = @School and user_id = @UserId", new { School, pupil.UserId }));

        var admin = await app.ActAsAsync(School, adminId);
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsJsonAsync(path, Reason)).StatusCode);
    }

    [Fact]
    public async Task AnotherSchoolsPersonAnswersAsMissingAndIsNotTouched()
    {
        await using var connection = await app.DataSource.OpenConnectionAsync();
        var theirs = await connection.QuerySingleAsync<(long UserId, string GivenName)>(
            "select user_id, given_name from users where school_id = 'ravenscroft-high' and role = 'student' order by user_id limit 1");
        var eraser = await app.CreateClientWithScopesAsync([School], Scopes.PrivacyWrite, Scopes.PrivacyRead);

        await (await eraser.PostAsJsonAsync($"{Base}/users/{theirs.UserId}/erasure", Reason)).AssertProblemAsync(HttpStatusCode.NotFound, "user_not_found");
        await (await eraser.GetAsync($"{Base}/users/{theirs.UserId}/export")).AssertProblemAsync(HttpStatusCode.NotFound, "user_not_found");
        await (await eraser.GetAsync($"{Base}/users/{theirs.UserId}/disclosures")).AssertProblemAsync(HttpStatusCode.NotFound, "user_not_found");
        Assert.Equal(theirs.GivenName, await connection.ExecuteScalarAsync<string>(
            "select given_name from users where school_id = 'ravenscroft-high' and user_id = @UserId and erased_at is null", new { theirs.UserId }));
    }

    [Theory]
    [InlineData("{}", "reason")]
    [InlineData("""{"reason":"because"}""", "reason")]
    [InlineData("""{"reason":"other","reference":"Maya Okafor"}""", "reference")]
    [InlineData("""{"reason":"other","note":"x"}""", "note")]
    public async Task ABadReasonIsRefusedNamingTheField(string body, string field)
    {
        var eraser = await app.CreateClientWithScopesAsync([School], Scopes.PrivacyWrite);
        await using var connection = await app.DataSource.OpenConnectionAsync();
        var student = await connection.ExecuteScalarAsync<long>("select max(user_id) from users where school_id = @School and role = 'student' and erased_at is null", new { School });
        var response = await eraser.PostAsync($"{Base}/users/{student}/erasure", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
        Assert.Null(await connection.ExecuteScalarAsync<DateTime?>("select erased_at from users where school_id = @School and user_id = @student", new { School, student }));
    }
}
