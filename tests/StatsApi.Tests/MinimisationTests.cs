using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Dapper;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Trace;
using StatsApi.Logging;
using StatsApi.Portal;
using StatsApi.Tests.Infrastructure;
using StatsApi.Tokens;

namespace StatsApi.Tests;

/// <summary>
/// The service logging at Debug (its own categories, ASP.NET Core's and Npgsql's) to its JSON-lines log as
/// in production, exporting its traces to a collector and serving its metrics, with every span and
/// measurement of the process captured besides: as talkative as it gets.
/// </summary>
public sealed class MinimisationFactory : TelemetryFactory
{
    public LogSinkStream JsonLines { get; } = new();

    public TelemetryCapture Capture { get; } = new();

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        With("Logging:LogLevel:Default", "Debug");
        With("Logging:LogLevel:Microsoft", "Debug");
        With("Logging:LogLevel:Microsoft.AspNetCore", "Debug");
        With("Logging:LogLevel:Npgsql", "Debug");
        WithServices(services => services.AddSingleton<ILoggerProvider>(
            _ => new JsonLinesLoggerProvider(new JsonLinesWriter(JsonLines), TimeProvider.System)));
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        Capture.Dispose();
        GC.SuppressFinalize(this);
    }
}

/// <summary>
/// Minimisation, proved (GDPR Art. 5(1)(c)): the README's first call, the developer portal and /api-docs as
/// a browser walks them, and every operation of openapi.yaml called by a caller allowed to, leave no name,
/// e-mail, telephone, password, API token, client secret, access token or session cookie in any log line,
/// span tag or event, or metric label.
/// </summary>
public class MinimisationTests(MinimisationFactory app) : IClassFixture<MinimisationFactory>
{
    private const string School = "oakwood-primary";
    private const string Base = $"/v1/schools/{School}";
    private const string ApiTokenGrant = "urn:statsapi:grant-type:api-token";

    private readonly ExercisedOperations _operations = new(ContractDocument.Load());
    private readonly List<Sought> _secrets = [];

    [Fact]
    public async Task NoNameEmailTokenOrSecretReachesTheLogsTracesOrMetrics()
    {
        await WalkThePortalAndApiDocsAsync();
        var first = await MakeTheFirstCallAsync();
        await CallEveryOperationAsync(first);

        var missed = _operations.Missed.Select(o => o.ToString()).ToList();
        Assert.True(missed.Count == 0, $"The scenario called no allowed request of: {string.Join(", ", missed)}");
        Assert.True(_operations.All.Count >= 44, $"openapi.yaml holds {_operations.All.Count} operations.");

        // The erasure's trace is the last to end: once it is exported, so is every earlier request's.
        var erasureRoute = Encoding.UTF8.GetBytes("/v1/schools/{school_id}/users/{user_id:long}/erasure");
        Assert.True(await Poll.UntilAsync(() =>
        {
            Assert.True(app.Services.GetRequiredService<TracerProvider>().ForceFlush(10_000));
            return Task.FromResult(app.Collector.Traces.Any(t => t.AsSpan().IndexOf(erasureRoute) >= 0));
        }), "The erasure's span never reached the collector.");
        using var scraper = new HttpClient();
        var metrics = await scraper.GetStringAsync(app.MetricsAddress);
        Assert.Contains("http_server_request_duration_seconds", metrics, StringComparison.Ordinal);
        var lines = app.Logs.Lines;
        Assert.Contains(lines, l => l.StartsWith("Debug", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains(" Npgsql.", StringComparison.Ordinal));
        // The JSON-lines writer writes from a thread of its own: it has caught up once it holds as many lines.
        Assert.True(await Poll.UntilAsync(() => Task.FromResult(app.JsonLines.Lines.Count >= lines.Count)), "The JSON-lines log fell behind.");
        var telemetry = app.Capture.Records();
        Assert.Contains(telemetry, r => r.StartsWith("span Npgsql", StringComparison.Ordinal));
        Assert.Contains(telemetry, r => r.StartsWith("metric ", StringComparison.Ordinal));

        var leaks = Leaks("log", lines)
            .Concat(Leaks("JSON-lines log", app.JsonLines.Lines))
            .Concat(Leaks("span or metric", telemetry))
            .Concat(Leaks("Prometheus scrape", metrics.Split('\n')))
            .Take(20).ToList();
        // Traces as exported are protobuf: searched for the longer secrets, which no run of random bytes spells.
        foreach (var secret in _secrets.Where(s => s.Value.Length >= 8).DistinctBy(s => s.Value))
        {
            var bytes = Encoding.UTF8.GetBytes(secret.Value);
            if (app.Collector.Traces.Any(t => t.AsSpan().IndexOf(bytes) >= 0))
            {
                leaks.Add($"exported traces: a {secret.Kind}");
            }
        }
        Assert.True(leaks.Count == 0, $"Held where operators read ({_secrets.Count} secrets looked for):\n{string.Join("\n", leaks)}");
    }

    /// <summary>A developer signs up and asks for access, is approved, signs in, makes an application, sees its secret, asks for more schools, reads the usage and signs out; then /api-docs.</summary>
    private async Task WalkThePortalAndApiDocsAsync()
    {
        var email = Secret("developer e-mail", $"wilhelmina.crabtree.{Guid.NewGuid():N}@tartu-dashboards.example");
        var password = Secret("password", "Wilhelmina's kettle hums at dawn 7");
        Name("developer name", "Wilhelmina", "Crabtree");
        Name("contact name", "Cornelius", "Pettigrew");
        var contactEmail = Secret("contact e-mail", $"cornelius.pettigrew.{Guid.NewGuid():N}@tartu-dashboards.example");
        Secret("telephone", "+372 5123 4987");

        using var developer = new PortalSession(app);
        Assert.Equal(HttpStatusCode.OK, (await developer.GetAsync("/portal/sign-up")).Status);
        Assert.Equal(HttpStatusCode.Redirect, (await developer.SignUpAsync(email, password)).Status);
        Assert.Equal(HttpStatusCode.Redirect, (await developer.PostAsync("/portal/request",
        [
            new("Organisation", "Tartu Dashboards"), new("Website", "https://tartu-dashboards.example"), new("ContactName", "Cornelius Pettigrew"),
            new("ContactEmail", contactEmail), new("ContactTelephone", "+372 5123 4987"), new("Purpose", "A dashboard for the district."),
            new("Schools", School), new("Tier", "standard"), new("RedirectUri", ""),
        ])).Status);
        Assert.Equal(HttpStatusCode.Redirect, (await developer.PostAsync("/portal/sign-out", [])).Status);

        // A platform administrator approves the request in the portal.
        var adminEmail = Secret("administrator e-mail", $"agatha.thistlewood.{Guid.NewGuid():N}@statsapi.example");
        var (_, adminPassword) = await app.Services.GetRequiredService<DeveloperAccounts>().MakePlatformAdminAsync(adminEmail);
        Secret("password", adminPassword!);
        using (var admin = new PortalSession(app))
        {
            Assert.Equal(HttpStatusCode.Redirect, (await admin.SignInAsync(adminEmail, adminPassword!)).Status);
            CookiesOf(admin);
            Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/portal/admin")).Status);
            await using var connection = await app.DataSource.OpenConnectionAsync();
            var requestId = await connection.QuerySingleAsync<long>(
                "select request_id from access_requests r join developer_accounts a using (account_id) where a.email = @email", new { email });
            var (approved, html, _) = await admin.PostAsync("/portal/admin",
            [
                new("RequestId", $"{requestId}"), new("Schools", School), new("Tier", "standard"),
                new("Scopes", Scopes.AttendanceRead), new("Scopes", Scopes.SchoolsRead),
            ], "Approve");
            Assert.True(approved == HttpStatusCode.OK, html);
        }

        // A wrong password first, as people type it; then the right one.
        Assert.NotEqual(HttpStatusCode.Redirect, (await developer.SignInAsync(email, "Wilhelmina's kettle hums at dusk 7")).Status);
        Secret("password", "Wilhelmina's kettle hums at dusk 7");
        Assert.Equal(HttpStatusCode.Redirect, (await developer.SignInAsync(email, password)).Status);
        CookiesOf(developer);
        Assert.Equal(HttpStatusCode.OK, (await developer.GetAsync("/portal")).Status);
        var (created, page, _) = await developer.PostAsync("/portal/applications",
            [new("Name", "Tartu dashboard"), new("Tier", "standard"), new("Scopes", Scopes.AttendanceRead), new("Scopes", Scopes.SchoolsRead)], "Create");
        Assert.True(created == HttpStatusCode.OK, page);
        var clientId = PortalSession.Field(page, "client-id");
        var clientSecret = Secret("client secret", PortalSession.Field(page, "client-secret"));

        // The application's first token and request, so the usage page has a day to show.
        var token = await TokenAsync("/oauth/token", BasicOf(clientId, clientSecret), Form(("grant_type", "client_credentials")));
        Assert.Equal(HttpStatusCode.OK, (await Caller(token).GetAsync(Base)).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await developer.PostAsync("/portal/schools",
            [new("Schools", "ravenscroft-high"), new("Purpose", "The high school joins the district dashboard.")])).Status);
        Assert.Equal(HttpStatusCode.OK, (await developer.GetAsync("/portal/schools")).Status);
        var (usage, usageHtml) = await developer.GetAsync("/portal/applications");
        Assert.Equal(HttpStatusCode.OK, usage);
        Assert.Contains(clientId, usageHtml, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Redirect, (await developer.PostAsync("/portal/sign-out", [])).Status);

        // The portal's link to the docs, the page's script and the document it renders.
        using var browser = app.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync($"/api-docs/index.html?client_id={clientId}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/api-docs/client-id.js")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/openapi/v1.json")).StatusCode);
    }

    private sealed record FirstCall(HttpClient Application, HttpClient Teacher, string ClientId, string ClientSecret, long CourseId);

    /// <summary>The README's first call: a token by HTTP Basic, the summary, a course and its lessons, then as its teacher a lesson and its register.</summary>
    private async Task<FirstCall> MakeTheFirstCallAsync()
    {
        var credentials = await app.CreateClientAsync([School], [.. Scopes.All.Where(s => s != Scopes.Admin)]);
        var clientId = credentials.Client.ClientId;
        var clientSecret = Secret("client secret", credentials.ClientSecret);
        var application = Caller(await TokenAsync("/oauth/token", BasicOf(clientId, clientSecret), Form(("grant_type", "client_credentials"))));

        await OkAsync(application.GetAsync($"/stats/v1/attendance/summary?school_id={School}&from=2026-09-01&to=2026-11-20&group_by=week"));
        var course = Json(await OkAsync(application.GetAsync($"{Base}/courses?limit=1"))).GetProperty("data")[0];
        var courseId = course.GetProperty("course_id").GetInt64();
        var teacherId = course.GetProperty("teacher_id").GetInt64();
        await OkAsync(application.GetAsync($"{Base}/lessons?course_id={courseId}&from=2026-09-07&to=2026-09-11"));

        // The demo teacher's API token (run.sh makes it), exchanged with the client's secret and no body.
        var apiToken = await ApiTokenAsync(application, $"{Base}/users/{teacherId}/api-tokens", "Gradebook sync");
        var teacher = Caller(await TokenAsync("/oauth/token", new AuthenticationHeaderValue("Basic", apiToken), null, clientSecret), clientSecret);
        using var schedule = new HttpRequestMessage(HttpMethod.Post, $"{Base}/lessons")
        {
            Content = JsonContent.Create(new { course_id = courseId, starts_at = "2026-11-23T09:00:00Z", ends_at = "2026-11-23T09:50:00Z", room = "B2" }),
        };
        schedule.Headers.Add("Idempotency-Key", $"first-call-{courseId}-2026-11-23");
        var lessonId = Json(await OkAsync(teacher.SendAsync(schedule))).GetProperty("lesson_id").GetInt64();
        var enrolled = Json(await OkAsync(teacher.GetAsync($"{Base}/courses/{courseId}/enrolments?limit=500"))).GetProperty("data")
            .EnumerateArray().Select(e => e.GetProperty("student_id").GetInt64()).ToArray();
        await OkAsync(teacher.PostAsJsonAsync($"{Base}/lessons/{lessonId}/attendance",
            new { marks = enrolled.Select(student => new { student_id = student, status = "present" }) }));
        await OkAsync(application.GetAsync($"/stats/v1/attendance/summary?school_id={School}&from=2026-11-23&to=2026-11-23"));

        // The demo people the answers named: the teacher and the class.
        await using var connection = await app.DataSource.OpenConnectionAsync();
        var people = await connection.QueryAsync<(string GivenName, string FamilyName, string? Email)>(
            "select given_name, family_name, email from users where school_id = @School and user_id = any(@ids)",
            new { School, ids = enrolled.Append(teacherId).ToArray() });
        foreach (var person in people)
        {
            Name("demo person's name", person.GivenName, person.FamilyName);
            if (person.Email is not null)
            {
                Secret("demo person's e-mail", person.Email);
            }
        }
        Assert.True(_secrets.Count(s => s.Kind == "demo person's name") >= 6, "The demo class has no names.");
        return new FirstCall(application, teacher, clientId, clientSecret, courseId);
    }

    /// <summary>Each operation of openapi.yaml, by a caller allowed to make it, with bodies as a school's systems send them.</summary>
    private async Task CallEveryOperationAsync(FirstCall first)
    {
        var (application, _, clientId, clientSecret, demoCourse) = first;
        var anonymous = Caller(null);

        // The token service: the secret in the form, in a JSON body, the Open edX paths, the metadata.
        await TokenAsync("/oauth/token", null, Form(("grant_type", "client_credentials"), ("client_id", clientId), ("client_secret", clientSecret)));
        await TokenAsync("/oauth/token", null, JsonContent.Create(new { grant_type = "client_credentials", client_id = clientId, client_secret = clientSecret }));
        var jwt = await TokenAsync("/oauth2/v1/access_token", BasicOf(clientId, clientSecret), Form(("grant_type", "client_credentials"), ("token_type", "jwt")));
        var edx = await TokenAsync("/oauth2/access_token", null,
            Form(("grant_type", "client_credentials"), ("client_id", clientId), ("client_secret", clientSecret), ("token_type", "jwt")));
        using (var request = new HttpRequestMessage(HttpMethod.Get, "/v1/schools"))
        {
            request.Headers.TryAddWithoutValidation("Authorization", $"JWT {jwt}");
            await OkAsync(anonymous.SendAsync(request));
        }
        await OkAsync(Caller(edx).GetAsync(Base));
        await OkAsync(anonymous.GetAsync("/.well-known/jwks.json"));
        await OkAsync(anonymous.GetAsync("/.well-known/openid-configuration"));
        await OkAsync(anonymous.GetAsync("/.well-known/oauth-authorization-server"));

        // People, made with names and e-mails a leak would show.
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var philippa = await PersonAsync(application, "student", "Philippa", "Marchbanks", suffix);
        var barnaby = await PersonAsync(application, "student", "Barnaby", "Fotheringay", suffix);
        var octavia = await PersonAsync(application, "teacher", "Octavia", "Wolstenholme", suffix);
        var hermione = await PersonAsync(application, "admin", "Hermione", "Blenkinsop", suffix);
        Name("new family name", "Featherstonehaugh");
        await OkAsync(application.GetAsync($"{Base}/users?q=Marchbanks"));
        await OkAsync(application.GetAsync($"{Base}/users/{philippa}"));
        await OkAsync(application.PatchAsJsonAsync($"{Base}/users/{philippa}", new { family_name = "Featherstonehaugh" }));
        // Refusals echo what was sent, too: a taken e-mail, an e-mail that is none.
        Assert.Equal(HttpStatusCode.Conflict, (await application.PostAsJsonAsync($"{Base}/users",
            new { role = "student", given_name = "Philippa", family_name = "Marchbanks", email = EmailOf("Philippa", "Marchbanks", suffix) })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await application.PostAsJsonAsync($"{Base}/users",
            new { role = "student", given_name = "Philippa", family_name = "Marchbanks", email = "Philippa Marchbanks <bad>" })).StatusCode);

        // The teacher and the school admin act through the application, their API tokens exchanged in a JSON and in a form body.
        var octaviaToken = await ApiTokenAsync(application, $"{Base}/users/{octavia}/api-tokens", "Wolstenholme gradebook");
        var teacher = Caller(await TokenAsync("/oauth/token", new AuthenticationHeaderValue("Basic", octaviaToken),
            JsonContent.Create(new { grant_type = ApiTokenGrant }), clientSecret), clientSecret);
        var hermioneToken = await ApiTokenAsync(application, $"{Base}/users/{hermione}/api-tokens", "Blenkinsop office");
        var schoolAdmin = Caller(await TokenAsync("/oauth2/v1/access_token", new AuthenticationHeaderValue("Basic", hermioneToken),
            Form(("grant_type", ApiTokenGrant)), clientSecret), clientSecret);
        using (var forged = new HttpRequestMessage(HttpMethod.Post, "/oauth/token"))
        {
            forged.Headers.TryAddWithoutValidation("client_secret", clientSecret);
            forged.Headers.TryAddWithoutValidation("Authorization", $"Basic {octaviaToken[..^4]}zzzz");
            Secret("API token", $"{octaviaToken[..^4]}zzzz");
            Assert.Equal(HttpStatusCode.BadRequest, (await anonymous.SendAsync(forged)).StatusCode);
        }

        // Schools and courses.
        await OkAsync(application.GetAsync("/v1/schools"));
        await OkAsync(application.GetAsync(Base));
        var courseId = Json(await OkAsync(application.PostAsJsonAsync($"{Base}/courses",
            new { code = $"MUS-{suffix}", name = "Music 2A", teacher_id = octavia }))).GetProperty("course_id").GetInt64();
        await OkAsync(application.GetAsync($"{Base}/courses/{courseId}"));
        await OkAsync(application.PatchAsJsonAsync($"{Base}/courses/{courseId}", new { name = "Music 2A (set 1)" }));
        await OkAsync(application.PutAsJsonAsync($"{Base}/courses/{courseId}/enrolments/{philippa}", new { enrolled_on = "2026-09-01" }));
        await OkAsync(application.PutAsJsonAsync($"{Base}/courses/{courseId}/enrolments/{barnaby}", new { enrolled_on = "2026-09-01" }));
        await OkAsync(teacher.GetAsync($"{Base}/courses/{courseId}/enrolments"));
        await OkAsync(application.DeleteAsync($"{Base}/courses/{courseId}/enrolments/{barnaby}"));

        // The teacher's lessons and registers.
        var lesson = await LessonAsync(teacher, courseId, "2026-11-24T09:00:00Z");
        await OkAsync(teacher.GetAsync($"{Base}/lessons?course_id={courseId}&from=2026-11-24&to=2026-11-24"));
        await OkAsync(teacher.GetAsync($"{Base}/lessons/{lesson}"));
        await OkAsync(teacher.PatchAsJsonAsync($"{Base}/lessons/{lesson}", new { room = "M2" }));
        var register = new { marks = new[] { new { student_id = philippa, status = "present" } } };
        await OkAsync(teacher.PostAsJsonAsync($"{Base}/lessons/{lesson}/attendance", register));
        await OkAsync(teacher.GetAsync($"{Base}/lessons/{lesson}/attendance"));
        await OkAsync(teacher.GetAsync($"{Base}/lessons/{lesson}/attendance/{philippa}"));
        await OkAsync(teacher.PatchAsJsonAsync($"{Base}/lessons/{lesson}/attendance/{philippa}", new { status = "late" }));
        await OkAsync(teacher.DeleteAsync($"{Base}/lessons/{lesson}/attendance/{philippa}"));
        await OkAsync(teacher.PostAsJsonAsync($"{Base}/lessons/{lesson}/attendance", register));
        await OkAsync(teacher.DeleteAsync($"{Base}/lessons/{await LessonAsync(teacher, courseId, "2026-11-25T09:00:00Z")}"));

        // A student's marks and summary, the term export, the change feed.
        await OkAsync(application.GetAsync($"{Base}/students/{philippa}/attendance?from=2026-11-24&to=2026-11-24"));
        await OkAsync(application.GetAsync($"/stats/v1/attendance/summary?school_id={School}&from=2026-11-24&to=2026-11-24&student_id={philippa}"));
        await OkAsync(application.GetAsync($"/stats/v1/attendance/summary?school_id={School}&from=2026-09-01&to=2026-11-24&course_id={demoCourse}&group_by=course"));
        await OkAsync(application.GetAsync($"{Base}/attendance/export?from=2026-11-23&to=2026-11-24"));
        await OkAsync(teacher.GetAsync($"{Base}/attendance/export?from=2026-11-24&to=2026-11-24&format=csv"));
        await OkAsync(application.GetAsync($"{Base}/changes?limit=200"));
        await OkAsync(teacher.GetAsync($"{Base}/changes/available"));

        // API tokens: a person's own, and those the school's application manages.
        await OkAsync(teacher.GetAsync("/v1/me/api-tokens"));
        var own = Json(await OkAsync(teacher.PostAsJsonAsync("/v1/me/api-tokens", new { name = "Octavia Wolstenholme's laptop" })));
        Secret("API token", own.GetProperty("token").GetString()!);
        var ownId = own.GetProperty("token_id").GetInt64();
        // A regenerated token is a new one, with an id of its own.
        var renewed = Json(await OkAsync(teacher.PostAsync($"/v1/me/api-tokens/{ownId}/regenerate", null)));
        Secret("API token", renewed.GetProperty("token").GetString()!);
        await OkAsync(teacher.DeleteAsync($"/v1/me/api-tokens/{renewed.GetProperty("token_id").GetInt64()}"));
        await OkAsync(application.GetAsync($"{Base}/users/{octavia}/api-tokens"));
        var spare = Json(await OkAsync(application.PostAsJsonAsync($"{Base}/users/{octavia}/api-tokens", new { name = "Spare for Wolstenholme" })));
        Secret("API token", spare.GetProperty("token").GetString()!);
        var spareId = spare.GetProperty("token_id").GetInt64();
        var respared = Json(await OkAsync(application.PostAsync($"{Base}/users/{octavia}/api-tokens/{spareId}/regenerate", null)));
        Secret("API token", respared.GetProperty("token").GetString()!);
        await OkAsync(application.DeleteAsync($"{Base}/users/{octavia}/api-tokens/{respared.GetProperty("token_id").GetInt64()}"));

        // The client registry, by the platform's administering client, its secret sent in the form body.
        var platform = await app.CreateClientAsync([], [Scopes.Admin]);
        Secret("client secret", platform.ClientSecret);
        var registry = Caller(await TokenAsync("/oauth/token", null,
            Form(("grant_type", "client_credentials"), ("client_id", platform.Client.ClientId), ("client_secret", platform.ClientSecret))));
        await OkAsync(registry.GetAsync("/v1/admin/clients"));
        var registered = Json(await OkAsync(registry.PostAsJsonAsync("/v1/admin/clients",
            new { name = "District dashboard", tier = "standard", schools = new[] { School }, scopes = new[] { Scopes.AttendanceRead } })));
        var registeredId = registered.GetProperty("client_id").GetString()!;
        Secret("client secret", registered.GetProperty("client_secret").GetString()!);
        await OkAsync(registry.GetAsync($"/v1/admin/clients/{registeredId}"));
        await OkAsync(registry.PatchAsJsonAsync($"/v1/admin/clients/{registeredId}", new { tier = "premium" }));
        var rotated = Secret("client secret", Json(await OkAsync(registry.PostAsync($"/v1/admin/clients/{registeredId}/rotate-secret", null)))
            .GetProperty("client_secret").GetString()!);
        await OkAsync(Caller(await TokenAsync("/oauth/token", BasicOf(registeredId, rotated), Form(("grant_type", "client_credentials")))).GetAsync(
            $"/stats/v1/attendance/summary?school_id={School}&from=2026-11-24&to=2026-11-24"));
        await OkAsync(registry.PostAsync($"/v1/admin/clients/{registeredId}/revoke", null));

        // Failures carry what was sent too: a wrong secret, a forged token.
        var wrongSecret = Secret("client secret", clientSecret[..^4] + "zzzz");
        using (var wrong = new HttpRequestMessage(HttpMethod.Post, "/oauth/token") { Content = Form(("grant_type", "client_credentials")) })
        {
            wrong.Headers.Authorization = BasicOf(clientId, wrongSecret);
            Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.SendAsync(wrong)).StatusCode);
        }
        var forgedToken = Secret("access token", jwt[..^6] + "AAAAAA");
        Assert.Equal(HttpStatusCode.Unauthorized, (await Caller(forgedToken).GetAsync($"{Base}/users/{philippa}")).StatusCode);

        // The privacy requests, by the school's admin; the erasure last.
        await OkAsync(schoolAdmin.GetAsync($"{Base}/users/{philippa}/export"));
        await OkAsync(schoolAdmin.GetAsync($"{Base}/users/{philippa}/disclosures"));
        await OkAsync(schoolAdmin.PostAsJsonAsync($"{Base}/users/{barnaby}/erasure", new { reason = "erasure_request", reference = "DPO-2026-014" }));
    }

    private async Task<long> PersonAsync(HttpClient application, string role, string given, string family, string suffix)
    {
        Name($"{role}'s name", given, family);
        var email = Secret($"{role}'s e-mail", EmailOf(given, family, suffix));
        return Json(await OkAsync(application.PostAsJsonAsync($"{Base}/users", new { role, given_name = given, family_name = family, email })))
            .GetProperty("user_id").GetInt64();
    }

    private static string EmailOf(string given, string family, string suffix) =>
        $"{given.ToLowerInvariant()}.{family.ToLowerInvariant()}.{suffix}@oakwood-primary.example";

    private async Task<string> ApiTokenAsync(HttpClient application, string path, string name) =>
        Secret("API token", Json(await OkAsync(application.PostAsJsonAsync(path, new { name }))).GetProperty("token").GetString()!);

    private static async Task<long> LessonAsync(HttpClient teacher, long courseId, string startsAt)
    {
        var start = DateTimeOffset.Parse(startsAt, System.Globalization.CultureInfo.InvariantCulture);
        return Json(await OkAsync(teacher.PostAsJsonAsync($"{Base}/lessons", new { course_id = courseId, starts_at = start, ends_at = start.AddMinutes(50), room = "M1" })))
            .GetProperty("lesson_id").GetInt64();
    }

    /// <summary>A token from <paramref name="path"/>; it and its signature are secrets from then on.</summary>
    private async Task<string> TokenAsync(string path, AuthenticationHeaderValue? authorization, HttpContent? body, string? clientSecretHeader = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = body };
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization.ToString());
        }
        if (clientSecretHeader is not null)
        {
            request.Headers.TryAddWithoutValidation("client_secret", clientSecretHeader);
        }
        var token = Json(await OkAsync(Caller(null).SendAsync(request))).GetProperty("access_token").GetString()!;
        Secret("access token signature", token[(token.LastIndexOf('.') + 1)..]);
        return Secret("access token", token);
    }

    private AuthenticationHeaderValue BasicOf(string clientId, string secret)
    {
        var basic = StatsApiFactory.BasicAuth(clientId, secret);
        Secret("Basic credentials", basic.Parameter!);
        return basic;
    }

    private static FormUrlEncodedContent Form(params (string Name, string Value)[] fields) =>
        new(fields.Select(f => KeyValuePair.Create(f.Name, f.Value)));

    /// <summary>An HTTP client whose successful requests count as operations exercised.</summary>
    private HttpClient Caller(string? bearer, string? clientSecret = null)
    {
        var client = app.CreateDefaultClient(_operations.Handler());
        if (bearer is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }
        if (clientSecret is not null)
        {
            client.DefaultRequestHeaders.Add("client_secret", clientSecret);
        }
        return client;
    }

    private static async Task<string> OkAsync(Task<HttpResponseMessage> sending)
    {
        using var response = await sending;
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode,
            $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri?.PathAndQuery}: {(int)response.StatusCode} {body}");
        return body;
    }

    private static JsonElement Json(string body) => JsonDocument.Parse(body).RootElement.Clone();

    private void CookiesOf(PortalSession session)
    {
        foreach (var cookie in session.Cookies().Select(c => c[(c.IndexOf('=') + 1)..]).Where(v => v.Length >= 16))
        {
            Secret("session cookie", cookie);
        }
    }

    private string Secret(string kind, string value)
    {
        _secrets.Add(new Sought(kind, value, IsName: false));
        return value;
    }

    private void Name(string kind, params string[] parts)
    {
        foreach (var part in parts.Append(string.Join(' ', parts)).Distinct())
        {
            _secrets.Add(new Sought(kind, part, IsName: true));
        }
    }

    /// <summary>Each line that holds a secret, with every secret in it masked by its kind.</summary>
    private IEnumerable<string> Leaks(string where, IEnumerable<string> lines)
    {
        foreach (var line in lines)
        {
            var found = _secrets.Where(s => s.In(line)).ToList();
            if (found.Count > 0)
            {
                var masked = _secrets.Aggregate(line, (text, s) => s.Pattern.Replace(text, $"[{s.Kind}]"));
                yield return $"{where}, {string.Join(", ", found.Select(s => s.Kind).Distinct())}: {masked[..Math.Min(masked.Length, 2000)]}";
            }
        }
    }

    /// <summary>
    /// What must not be written. A name is matched as a whole word and in its case, so "Mia" is not found in
    /// "MiaB…" nor "Eve" in "event"; anything else anywhere, in any case.
    /// </summary>
    private sealed record Sought(string Kind, string Value, bool IsName)
    {
        public Regex Pattern { get; } = IsName
            ? new Regex($@"(?<![\p{{L}}\p{{N}}]){Regex.Escape(Value)}(?![\p{{L}}\p{{N}}])", RegexOptions.CultureInvariant)
            : new Regex(Regex.Escape(Value), RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

        // A plain search first: most lines hold no secret, and the word test is only needed where one does.
        public bool In(string line) => IsName
            ? line.Contains(Value, StringComparison.Ordinal) && Pattern.IsMatch(line)
            : line.Contains(Value, StringComparison.OrdinalIgnoreCase);
    }
}
