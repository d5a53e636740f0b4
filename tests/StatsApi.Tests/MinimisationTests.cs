using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using Dapper;
using OpenTelemetry.Trace;
using StatsApi.Tests.Infrastructure;
using StatsApi.Tokens;

namespace StatsApi.Tests;

/// <summary>The service logging at Debug, exporting its traces to a collector and serving its metrics, as in production at its most talkative.</summary>
public sealed class MinimisationFactory : TelemetryFactory
{
    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        With("Logging:LogLevel:Default", "Debug");
        With("Logging:LogLevel:Microsoft", "Debug");
        With("Logging:LogLevel:Microsoft.AspNetCore", "Debug");
    }
}

/// <summary>
/// Minimisation, proved (GDPR Art. 5(1)(c)): a run through the first call, a teacher's tool, every kind of
/// operation on a person and the privacy requests leaves no name, e-mail, API token, client secret or
/// access token in any log line, trace attribute or metric label.
/// </summary>
public class MinimisationTests(MinimisationFactory app) : IClassFixture<MinimisationFactory>
{
    private const string School = "oakwood-primary";
    private const string Base = $"/v1/schools/{School}";

    [Fact]
    public async Task NoNameEmailTokenOrSecretReachesTheLogsTracesOrMetrics()
    {
        var secrets = new List<string>();
        var credentials = await app.CreateClientAsync([School], [.. Scopes.All.Where(s => s != Scopes.Admin)]);
        secrets.Add(credentials.ClientSecret);

        // The first call: a token by HTTP Basic, the summary, a course and its lessons.
        using var tokenRequest = new HttpRequestMessage(HttpMethod.Post, "/oauth/token")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "client_credentials" }),
        };
        tokenRequest.Headers.Authorization = StatsApiFactory.BasicAuth(credentials.Client.ClientId, credentials.ClientSecret);
        var issued = await app.CreateClient().SendAsync(tokenRequest);
        var accessToken = (await issued.JsonAsync()).GetProperty("access_token").GetString()!;
        secrets.Add(accessToken);
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/stats/v1/attendance/summary?school_id={School}&from=2026-09-01&to=2026-11-20&group_by=week")).StatusCode);
        var course = (await (await client.GetAsync($"{Base}/courses?limit=1")).JsonAsync()).GetProperty("data")[0];
        var courseId = course.GetProperty("course_id").GetInt64();
        var teacherId = course.GetProperty("teacher_id").GetInt64();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"{Base}/lessons?course_id={courseId}&from=2026-09-07&to=2026-09-11")).StatusCode);

        // A demo teacher and a demo student, read by id: their names and e-mails are in answers, and nowhere else.
        await using var connection = await app.DataSource.OpenConnectionAsync();
        var demo = (await connection.QueryAsync<(long UserId, string GivenName, string FamilyName, string? Email)>(
            "select user_id, given_name, family_name, email from users where school_id = @School and user_id in (@teacherId, (select min(student_id) from enrolments where school_id = @School and course_id = @courseId))",
            new { School, teacherId, courseId })).ToList();
        Assert.Equal(2, demo.Count);
        foreach (var person in demo)
        {
            secrets.AddRange([person.GivenName, person.FamilyName, $"{person.GivenName} {person.FamilyName}"]);
            secrets.AddRange(person.Email is null ? [] : [person.Email]);
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"{Base}/users/{person.UserId}")).StatusCode);
        }

        // A person made, found by name, changed, exported, disclosed and erased.
        var email = $"philippa.marchbanks.{Guid.NewGuid():N}@oakwood-primary.example";
        secrets.AddRange(["Philippa", "Marchbanks", "Featherstonehaugh", email]);
        var created = await client.PostAsJsonAsync($"{Base}/users", new { role = "student", given_name = "Philippa", family_name = "Marchbanks", email });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var pupil = (await created.JsonAsync()).GetProperty("user_id").GetInt64();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"{Base}/users?q=Marchbanks")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.PatchAsJsonAsync($"{Base}/users/{pupil}", new { family_name = "Featherstonehaugh" })).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await client.PostAsJsonAsync($"{Base}/users", new { role = "student", given_name = "Philippa", family_name = "Marchbanks", email })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.PostAsJsonAsync($"{Base}/users", new { role = "student", given_name = "Philippa", family_name = "Marchbanks", email = "Philippa Marchbanks <bad>" })).StatusCode);
        (await client.PutAsJsonAsync($"{Base}/courses/{courseId}/enrolments/{pupil}", new { })).EnsureSuccessStatusCode();

        // The teacher's tool: an API token, exchanged with the client's secret, then a lesson and its register.
        var apiToken = (await (await client.PostAsJsonAsync($"{Base}/users/{teacherId}/api-tokens", new { name = "Marchbanks gradebook" })).JsonAsync())
            .GetProperty("token").GetString()!;
        secrets.Add(apiToken);
        using var exchange = new HttpRequestMessage(HttpMethod.Post, "/oauth/token");
        exchange.Headers.TryAddWithoutValidation("client_secret", credentials.ClientSecret);
        exchange.Headers.TryAddWithoutValidation("Authorization", $"Basic {apiToken}");
        var personToken = (await (await app.CreateClient().SendAsync(exchange)).JsonAsync()).GetProperty("access_token").GetString()!;
        secrets.Add(personToken);
        var teacher = app.CreateClient();
        teacher.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", personToken);
        teacher.DefaultRequestHeaders.Add("client_secret", credentials.ClientSecret);
        var start = new DateTimeOffset(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);
        var lesson = await teacher.PostAsJsonAsync($"{Base}/lessons", new { course_id = courseId, starts_at = start, ends_at = start.AddMinutes(50), room = "B2" });
        Assert.Equal(HttpStatusCode.Created, lesson.StatusCode);
        var lessonId = (await lesson.JsonAsync()).GetProperty("lesson_id").GetInt64();
        Assert.Equal(HttpStatusCode.OK, (await teacher.PostAsJsonAsync($"{Base}/lessons/{lessonId}/attendance",
            new { marks = new[] { new { student_id = pupil, status = "present" } } })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await teacher.GetAsync($"{Base}/students/{pupil}/attendance")).StatusCode);

        // Failures carry what was sent too: a wrong secret, a forged token.
        using var wrong = new HttpRequestMessage(HttpMethod.Post, "/oauth/token")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "client_credentials" }),
        };
        wrong.Headers.Authorization = StatsApiFactory.BasicAuth(credentials.Client.ClientId, credentials.ClientSecret[..^4] + "zzzz");
        secrets.Add(credentials.ClientSecret[..^4] + "zzzz");
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.CreateClient().SendAsync(wrong)).StatusCode);
        var forged = app.CreateClient();
        forged.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", accessToken[..^6] + "AAAAAA");
        Assert.Equal(HttpStatusCode.Unauthorized, (await forged.GetAsync($"{Base}/users/{pupil}")).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"{Base}/users/{pupil}/export")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"{Base}/users/{pupil}/disclosures")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync($"{Base}/users/{pupil}/erasure", new { reason = "erasure_request" })).StatusCode);

        // The erasure's trace is the last to end: once it is exported, so is every earlier request's.
        var erasureRoute = Encoding.UTF8.GetBytes("/v1/schools/{school_id}/users/{user_id:long}/erasure");
        for (var attempt = 0; attempt < 40 && !app.Collector.Traces.Any(t => t.AsSpan().IndexOf(erasureRoute) >= 0); attempt++)
        {
            Assert.True(app.Services.GetRequiredService<TracerProvider>().ForceFlush(10_000));
            await Task.Delay(250);
        }
        Assert.Contains(app.Collector.Traces, t => t.AsSpan().IndexOf(erasureRoute) >= 0);
        using var scraper = new HttpClient();
        var metrics = await scraper.GetStringAsync(app.MetricsAddress);
        Assert.Contains("http_server_request_duration_seconds", metrics, StringComparison.Ordinal);
        var lines = app.Logs.Lines;
        Assert.Contains(lines, l => l.StartsWith("Debug", StringComparison.Ordinal));

        foreach (var secret in secrets.Distinct())
        {
            var leaked = lines.FirstOrDefault(l => l.Contains(secret, StringComparison.OrdinalIgnoreCase));
            Assert.True(leaked is null, $"The log holds '{secret}': {leaked}");
            var bytes = Encoding.UTF8.GetBytes(secret);
            Assert.DoesNotContain(app.Collector.Traces, t => t.AsSpan().IndexOf(bytes) >= 0);
            Assert.DoesNotContain(secret, metrics, StringComparison.OrdinalIgnoreCase);
        }
    }
}
