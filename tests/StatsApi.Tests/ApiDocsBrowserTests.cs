using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Dapper;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Playwright;
using StatsApi.Tests.Infrastructure;
using StatsApi.Clients;
using StatsApi.OAuth;
using StatsApi.Tokens;

namespace StatsApi.Tests;

/// <summary>
/// /api-docs in a real headless Chromium against the service on real Kestrel over HTTPS: a person
/// authorises, tries operations and reads the answers, as a newcomer would. Each step leaves a screenshot.
/// </summary>
[LongRunning(24)]
public class ApiDocsBrowserTests(StatsApiFactory app) : IClassFixture<StatsApiFactory>
{
    /// <summary>Debian's chromium; scripts/test.sh installs it when it is missing. Nothing downloads a browser.</summary>
    public const string Chromium = "/usr/bin/chromium";

    private const string School = "oakwood-primary";
    private const string Unapproved = "ravenscroft-high";

    [Fact]
    public async Task AnIntegratorAndATeacherUseTheDocsPage()
    {
        Assert.True(File.Exists(Chromium), $"Chromium is not installed at {Chromium}: the browser test needs it. " +
            "scripts/test.sh installs it with 'apt-get install chromium'; on another system install Debian's chromium package.");

        // Real Kestrel, serving HTTPS itself: no proxy is trusted, so the service's HTTPS rule holds as in production.
        using var certificate = LoopbackCertificate.Create();
        await using var kestrel = app.CreateRestarted(new Dictionary<string, string?> { ["Http:AllowPlainHttp"] = "false" });
        kestrel.UseKestrel(options => options.Listen(IPAddress.Loopback, 0, listen => listen.UseHttps(certificate)));
        kestrel.StartServer();
        var address = kestrel.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single().TrimEnd('/');

        var integrator = await app.CreateClientAsync([School], [Scopes.AttendanceRead, Scopes.SchoolsRead]);
        var (tool, apiToken, courseId) = await TeacherAsync();

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
        var shots = new Screenshots();

        // An integrator: client credentials in the Authorize dialog, then the summary.
        var page = await OpenAsync(browser, address);
        await shots.TakeAsync(page, "01-api-docs");
        var dialog = await OpenAuthorizeAsync(page);
        // The dialog starts with client credentials, the way in for an integrator.
        await Expect(dialog.Locator(".auth-container h4").First).ToHaveTextAsync(new Regex(@"^\s*oauth2\s"));
        var oauth = Scheme(dialog, "oauth2");
        await oauth.Locator("input[data-name=clientId]").FillAsync(integrator.Client.ClientId);
        await oauth.Locator("input[data-name=clientSecret]").FillAsync(integrator.ClientSecret);
        await oauth.Locator("button.authorize").ClickAsync();
        // No scope ticked: the token carries all of the client's.
        await Expect(oauth.Locator("h6")).ToHaveTextAsync("Authorized");
        await shots.TakeAsync(dialog, oauth, "02-authorized-with-client-credentials");
        await CloseAuthorizeAsync(dialog);

        var summary = await ExpandAsync(page, "Attendance", "GetAttendanceSummary");
        var approved = await ExecuteAsync(summary, 200);
        using (var body = JsonDocument.Parse(approved))
        {
            Assert.Equal(School, body.RootElement.GetProperty("school_id").GetString());
            Assert.True(body.RootElement.GetProperty("totals").GetProperty("records").GetInt64() > 0, approved);
        }
        await shots.TakeAnswerAsync(summary, "03-summary-200");

        await Parameter(summary, "school_id").FillAsync(Unapproved);
        var refused = await ExecuteAsync(summary, 403);
        Assert.Contains("\"error_code\": \"school_not_approved\"", refused, StringComparison.Ordinal);
        await shots.TakeAnswerAsync(summary, "04-unapproved-school-403");

        // The token operation's Try it out as a person finds it: a form that asks for client credentials and
        // sends nothing else, and each refusal documented with its own body.
        var issue = await ExpandAsync(page, "Token_service", "IssueToken");
        await Expect(issue.Locator(".body-param-content-type select")).ToHaveValueAsync("application/x-www-form-urlencoded");
        await Expect(FormField(issue, "grant_type")).ToHaveValueAsync("client_credentials");
        Assert.Contains(PersonTokenExchange.GrantType, await FormField(issue, "grant_type").Locator("option").AllInnerTextsAsync());
        foreach (var name in new[] { "client_id", "client_secret", "scope", "audience", "token_type" })
        {
            await Expect(FormField(issue, name)).ToHaveValueAsync("");
            await Expect(issue.Locator($"tr[data-property-name='{name}'] input[type=checkbox]")).Not.ToBeCheckedAsync();
        }
        Assert.Contains("\"invalid_request\"", await DocumentedAsync(issue, 400), StringComparison.Ordinal);
        Assert.Contains("\"invalid_client\"", await DocumentedAsync(issue, 401), StringComparison.Ordinal);
        Assert.Contains("larger than the service accepts", await DocumentedAsync(issue, 413), StringComparison.Ordinal);
        Assert.Contains("\"slow_down\"", await DocumentedAsync(issue, 429), StringComparison.Ordinal);
        await shots.TakeAsync(issue, "05-token-form");

        // A client that posts its credentials fills in two fields; only what is filled in is sent.
        await FormField(issue, "client_id").FillAsync(integrator.Client.ClientId);
        await FormField(issue, "client_secret").FillAsync(integrator.ClientSecret);
        await FormField(issue, "client_secret").BlurAsync();
        using (var issued = JsonDocument.Parse(await ExecuteAsync(issue, 200)))
        {
            Assert.Equal("Bearer", issued.RootElement.GetProperty("token_type").GetString());
        }
        Assert.Contains($"-d 'grant_type=client_credentials&client_id={integrator.Client.ClientId}&client_secret={integrator.ClientSecret}'",
            await issue.Locator(".curl-command").InnerTextAsync(), StringComparison.Ordinal);
        await shots.TakeAnswerAsync(issue, "06-token-from-the-form");

        // Switched to JSON, the body is the one those fields make, as Execute sends it.
        await issue.Locator(".body-param-content-type select").SelectOptionAsync("application/json");
        using (var body = JsonDocument.Parse(await issue.Locator("textarea.body-param__text").InputValueAsync()))
        {
            Assert.Equal(["grant_type", "client_id", "client_secret"], body.RootElement.EnumerateObject().Select(p => p.Name));
            Assert.Equal("client_credentials", body.RootElement.GetProperty("grant_type").GetString());
        }
        await shots.TakeAsync(issue, "07-token-form-as-json");

        // A teacher's tool on the same page, as a developer trying both ways in would: the integrator logs out,
        // then the API-token exchange on the token endpoint, then the teacher's token with its client secret.
        dialog = await OpenAuthorizeAsync(page);
        oauth = Scheme(dialog, "oauth2");
        await oauth.Locator("button", new() { HasText = "Logout" }).ClickAsync();
        await Expect(oauth.Locator("input[data-name=clientId]")).ToBeVisibleAsync();
        var basic = Scheme(dialog, "apiToken");
        await basic.Locator("input[name=username]").FillAsync(apiToken);
        await basic.Locator("button.authorize").ClickAsync();
        await CloseAuthorizeAsync(dialog);

        // The exchange's own example body, executed as it is.
        var exchange = issue; // still open from the integrator's steps
        await Parameter(exchange, "client_secret").FillAsync(tool.ClientSecret);
        await exchange.Locator(".body-param-content-type select").SelectOptionAsync("application/json");
        await exchange.Locator(".examples-select select").SelectOptionAsync(new SelectOptionValue { Label = "The API-token exchange (with apiToken and the client_secret header)" });
        using (var example = JsonDocument.Parse(await exchange.Locator("textarea.body-param__text").InputValueAsync()))
        {
            Assert.Equal(PersonTokenExchange.GrantType, example.RootElement.GetProperty("grant_type").GetString());
        }
        string accessToken;
        using (var issued = JsonDocument.Parse(await ExecuteAsync(exchange, 200)))
        {
            accessToken = issued.RootElement.GetProperty("access_token").GetString()!;
            Assert.Contains(Scopes.LessonsWrite, issued.RootElement.GetProperty("scope").GetString()!.Split(' '));
        }
        await shots.TakeAnswerAsync(exchange, "08-api-token-exchanged");

        dialog = await OpenAuthorizeAsync(page);
        var bearer = Scheme(dialog, "bearer");
        await bearer.Locator("input").FillAsync(accessToken);
        await bearer.Locator("button.authorize").ClickAsync();
        var secret = Scheme(dialog, "clientSecret");
        await secret.Locator("input").FillAsync(tool.ClientSecret);
        await secret.Locator("button.authorize").ClickAsync();
        await shots.TakeAsync(dialog, bearer, "09-authorized-as-teacher");
        await CloseAuthorizeAsync(dialog);

        var create = await ExpandAsync(page, "Lessons", "CreateLesson");
        await create.Locator("textarea.body-param__text").FillAsync(
            $$"""{"course_id": {{courseId}}, "starts_at": "2026-11-23T09:00:00+00:00", "ends_at": "2026-11-23T09:50:00+00:00", "room": "B2"}""");
        long lessonId;
        using (var created = JsonDocument.Parse(await ExecuteAsync(create, 201)))
        {
            lessonId = created.RootElement.GetProperty("lesson_id").GetInt64();
        }
        await shots.TakeAnswerAsync(create, "10-lesson-created");

        var delete = await ExpandAsync(page, "Lessons", "DeleteLesson");
        await Parameter(delete, "lesson_id").FillAsync($"{lessonId}");
        await ExecuteAsync(delete, 204);
        await shots.TakeAnswerAsync(delete, "11-lesson-deleted");

        await using var connection = await app.DataSource.OpenConnectionAsync();
        Assert.False(await connection.ExecuteScalarAsync<bool>(
            "select exists (select 1 from lessons where school_id = @School and lesson_id = @lessonId)", new { School, lessonId }));
    }

    /// <summary>The teacher of the school's first course, with an API token and a teachers' tool to exchange it with.</summary>
    private async Task<(ClientCredentials Tool, string ApiToken, long CourseId)> TeacherAsync()
    {
        await using var connection = await app.DataSource.OpenConnectionAsync();
        var (courseId, teacherId) = await connection.QueryFirstAsync<(long, long)>(
            "select course_id, teacher_id from courses where school_id = @School and teacher_id is not null order by course_id", new { School });
        var administration = await app.CreateClientWithScopesAsync([School], Scopes.UsersWrite);
        var created = await administration.PostAsJsonAsync($"/v1/schools/{School}/users/{teacherId}/api-tokens", new { name = "Docs page" });
        created.EnsureSuccessStatusCode();
        var apiToken = (await created.JsonAsync()).GetProperty("token").GetString()!;
        var tool = await app.CreateClientAsync([School], [Scopes.LessonsRead, Scopes.LessonsWrite, Scopes.CoursesRead]);
        return (tool, apiToken, courseId);
    }

    private static async Task<IPage> OpenAsync(IBrowser browser, string address)
    {
        // The certificate is the test's own: the page trusts it as a person would after checking it.
        var context = await browser.NewContextAsync(new() { IgnoreHTTPSErrors = true, ViewportSize = new() { Width = 1280, Height = 900 } });
        // A busy machine renders the page slowly; the waits end as soon as what they wait for is there.
        context.SetDefaultTimeout(30_000);
        Assertions.SetDefaultExpectTimeout(30_000);
        var page = await context.NewPageAsync();
        await page.GotoAsync($"{address}/api-docs");
        await Expect(page.Locator(".opblock").First).ToBeVisibleAsync();
        return page;
    }

    private static async Task<ILocator> OpenAuthorizeAsync(IPage page)
    {
        await page.Locator(".auth-wrapper button.authorize").ClickAsync();
        var dialog = page.Locator(".dialog-ux .modal-ux");
        await Expect(dialog).ToBeVisibleAsync();
        return dialog;
    }

    private static async Task CloseAuthorizeAsync(ILocator dialog)
    {
        await dialog.Locator("button.close-modal").ClickAsync();
        await Expect(dialog).ToBeHiddenAsync();
    }

    /// <summary>The dialog's section for one security scheme, by the name its heading starts with.</summary>
    private static ILocator Scheme(ILocator dialog, string name) =>
        dialog.Locator(".auth-container").Filter(new()
        {
            Has = dialog.Page.Locator("h4", new() { HasTextRegex = new Regex($"^\\s*{name}\\s") }),
        });

    private static async Task<ILocator> ExpandAsync(IPage page, string tag, string operationId)
    {
        var operation = page.Locator($"#operations-{tag}-{operationId}");
        await operation.Locator(".opblock-summary").First.ClickAsync();
        await Expect(operation.Locator("button.execute")).ToBeVisibleAsync();
        return operation;
    }

    private static ILocator Parameter(ILocator operation, string name) =>
        operation.Locator($"tr[data-param-name='{name}'] input");

    /// <summary>A field of the operation's form body: its text box, or its list of values.</summary>
    private static ILocator FormField(ILocator operation, string name) =>
        operation.Locator($".opblock-section-request-body tr[data-property-name='{name}']").Locator("input[type=text], select").First;

    /// <summary>The example the operation documents for a status.</summary>
    private static Task<string> DocumentedAsync(ILocator operation, int status) =>
        operation.Locator($".responses-table tr.response[data-code='{status}'] .microlight").First.InnerTextAsync();

    /// <summary>Runs Try it out and returns the body it shows, after checking the status it shows.</summary>
    private static async Task<string> ExecuteAsync(ILocator operation, int status)
    {
        var clear = operation.Locator("button.btn-clear");
        if (await clear.CountAsync() > 0)
        {
            await clear.ClickAsync();
        }
        await operation.Locator("button.execute").ClickAsync();
        var response = operation.Locator(".live-responses-table tbody .response").First;
        await Expect(response.Locator(".response-col_status")).ToHaveTextAsync(new Regex($"^{status}"));
        var body = response.Locator(".response-col_description .microlight, .response-col_description pre");
        return await body.CountAsync() > 0 ? await body.First.InnerTextAsync() : "";
    }

    private static ILocatorAssertions Expect(ILocator locator) => Assertions.Expect(locator);

    /// <summary>One screenshot per step, in the folder scripts/test.sh keeps (STATSAPI_TEST_SCREENSHOTS), or beside the tests.</summary>
    private sealed class Screenshots
    {
        private readonly string _folder = Environment.GetEnvironmentVariable("STATSAPI_TEST_SCREENSHOTS") is { Length: > 0 } configured
            ? configured
            : Path.Combine(AppContext.BaseDirectory, "screenshots");

        public async Task TakeAsync(IPage page, string step)
        {
            Directory.CreateDirectory(_folder);
            await page.ScreenshotAsync(new() { Path = PathOf(step) });
        }

        /// <summary>One element of the page, whole.</summary>
        public async Task TakeAsync(ILocator element, string step)
        {
            Directory.CreateDirectory(_folder);
            await element.ScreenshotAsync(new() { Path = PathOf(step) });
        }

        /// <summary>The dialog as it shows the scheme just authorised.</summary>
        public async Task TakeAsync(ILocator dialog, ILocator scheme, string step)
        {
            Directory.CreateDirectory(_folder);
            await scheme.ScrollIntoViewIfNeededAsync();
            await dialog.ScreenshotAsync(new() { Path = PathOf(step) });
        }

        /// <summary>
        /// An operation from its heading (or the top of the window, when it is taller) to the answer Try it out
        /// got, as the window shows it with the answer scrolled into view: no full-page render for each step.
        /// </summary>
        public async Task TakeAnswerAsync(ILocator operation, string step)
        {
            Directory.CreateDirectory(_folder);
            var answer = operation.Locator(".live-responses-table").First;
            await answer.ScrollIntoViewIfNeededAsync();
            const string Box = "e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.width, r.bottom, window.innerHeight]; }";
            var from = await operation.EvaluateAsync<double[]>(Box);
            var to = await answer.EvaluateAsync<double[]>(Box);
            var top = Math.Max(from[1], 0);
            var bottom = Math.Min(to[3] + 8, to[4]);
            await operation.Page.ScreenshotAsync(new()
            {
                Path = PathOf(step),
                Clip = new() { X = (float)from[0], Y = (float)top, Width = (float)from[2], Height = (float)(bottom - top) },
            });
        }

        private string PathOf(string step) => Path.Combine(_folder, $"api-docs-{step}.png");
    }
}
