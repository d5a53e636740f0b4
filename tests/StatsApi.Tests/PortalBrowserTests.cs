using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Playwright;
using StatsApi.Portal;
using StatsApi.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace StatsApi.Tests;

/// <summary>
/// The developer portal in a real headless Chromium against the service on real Kestrel over HTTPS: a
/// developer signs up, a platform administrator approves in the portal, and the credentials the page shows
/// get a token that reads the summary. Each page leaves a screenshot.
/// </summary>
[LongRunning(21)]
public class PortalBrowserTests(StatsApiFactory app) : IClassFixture<StatsApiFactory>
{
    private const string DeveloperPassword = "a long and memorable passphrase";
    private const string Summary = "/stats/v1/attendance/summary?school_id=oakwood-primary&from=2026-09-01&to=2026-09-30";

    [Fact]
    public async Task ADeveloperGoesFromSignUpToASummaryWithAnAdministratorApprovingInThePortal()
    {
        Assert.True(File.Exists(ApiDocsBrowserTests.Chromium), $"Chromium is not installed at {ApiDocsBrowserTests.Chromium}: scripts/test.sh installs it.");
        using var certificate = LoopbackCertificate.Create();
        await using var kestrel = app.CreateRestarted(new Dictionary<string, string?> { ["Http:AllowPlainHttp"] = "false" });
        kestrel.UseKestrel(options => options.Listen(IPAddress.Loopback, 0, listen => listen.UseHttps(certificate)));
        kestrel.StartServer();
        var address = kestrel.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single().TrimEnd('/');
        var adminEmail = $"admin-{Guid.NewGuid():N}@example.org";
        var (_, adminPassword) = await kestrel.Services.GetRequiredService<DeveloperAccounts>().MakePlatformAdminAsync(adminEmail);

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = ApiDocsBrowserTests.Chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
        var shots = new Screenshots();

        // A developer signs up and is told the account waits for an administrator.
        var developer = await OpenAsync(browser, $"{address}/portal/sign-up");
        var developerEmail = $"dev-{Guid.NewGuid():N}@example.org";
        await developer.GetByLabel("E-mail address").FillAsync(developerEmail);
        await developer.GetByLabel("Password", new() { Exact = true }).FillAsync("too short");
        await developer.GetByRole(AriaRole.Button, new() { Name = "Create account" }).ClickAsync();
        await Expect(developer.GetByText("The password must have at least 12 characters.")).ToBeVisibleAsync();
        await shots.TakeAsync(developer, "portal-00-sign-up-refused");
        await developer.GetByLabel("Password", new() { Exact = true }).FillAsync(DeveloperPassword);
        await developer.GetByLabel("Password again").FillAsync(DeveloperPassword);
        await shots.TakeAsync(developer, "portal-01-sign-up");
        await developer.GetByRole(AriaRole.Button, new() { Name = "Create account" }).ClickAsync();
        await Expect(developer.GetByText("waiting for a platform administrator")).ToBeVisibleAsync();
        await shots.TakeAsync(developer, "portal-02-account-waiting");

        await developer.GetByRole(AriaRole.Link, new() { Name = "Ask for access" }).ClickAsync();
        await developer.GetByLabel("Organisation").FillAsync("Tartu School Analytics");
        await developer.GetByLabel("Website").FillAsync("https://analytics.example.org");
        await developer.GetByLabel("Contact person").FillAsync("Mari Tamm");
        await developer.GetByLabel("Contact telephone").FillAsync("+372 5555 1234");
        await developer.GetByLabel("What the access is for").FillAsync("A dashboard of attendance for the district's head teachers.");
        await developer.GetByLabel("Schools wanted").FillAsync("oakwood-primary, ravenscroft-high");
        await shots.TakeAsync(developer, "portal-03-access-request");
        await developer.GetByRole(AriaRole.Button, new() { Name = "Send the request" }).ClickAsync();
        await Expect(developer.GetByText("Waiting for review")).ToBeVisibleAsync();
        await shots.TakeAsync(developer, "portal-04-request-pending");

        // A platform administrator approves it in the portal, narrowing it to one school.
        var admin = await OpenAsync(browser, $"{address}/portal/sign-in");
        await admin.GetByLabel("E-mail address").FillAsync(adminEmail);
        await admin.GetByLabel("Password").FillAsync(adminPassword!);
        await shots.TakeAsync(admin, "portal-05-sign-in");
        await admin.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await admin.GetByRole(AriaRole.Link, new() { Name = "Review requests" }).ClickAsync();
        var card = admin.Locator("section.card", new() { Has = admin.GetByRole(AriaRole.Heading, new() { Name = "Tartu School Analytics" }) });
        await card.GetByLabel("Schools granted").FillAsync("oakwood-primary");
        await shots.TakeAsync(admin, "portal-06-review-queue");
        await card.GetByRole(AriaRole.Button, new() { Name = "Approve Tartu School Analytics" }).ClickAsync();
        await Expect(admin.GetByText("Approved: the developer can create applications now.")).ToBeVisibleAsync();
        await shots.TakeAsync(admin, "portal-07-approved");

        // The developer sees the grant and makes an application.
        await developer.ReloadAsync();
        await Expect(developer.GetByText("Approved", new() { Exact = true })).ToBeVisibleAsync();
        await shots.TakeAsync(developer, "portal-08-access-approved");
        await developer.GetByRole(AriaRole.Link, new() { Name = "Your applications" }).ClickAsync();
        await developer.GetByLabel("Name").FillAsync("Head teachers' dashboard");
        await shots.TakeAsync(developer, "portal-09-new-application");
        await developer.GetByRole(AriaRole.Button, new() { Name = "Create application" }).ClickAsync();
        await Expect(developer.GetByText("it is shown only this once")).ToBeVisibleAsync();
        await shots.TakeAsync(developer, "portal-10-credentials-shown-once");
        var clientId = await developer.Locator("#client-id").InputValueAsync();
        var secret = await developer.Locator("#client-secret").InputValueAsync();

        using var http = new HttpClient(new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true }) { BaseAddress = new Uri(address) };
        var token = await TokenAsync(http, clientId, secret);
        Assert.NotNull(token);
        Assert.Equal(HttpStatusCode.OK, await SummaryStatusAsync(http, token!));

        // Rotating shows a new secret once: the old one fails, the new one works.
        // What the background flush writes within seconds, written now: the chart shows the call.
        await kestrel.Services.GetRequiredService<StatsApi.RateLimiting.ClientUsage>().FlushAsync();
        await developer.GetByRole(AriaRole.Link, new() { Name = "Applications", Exact = true }).ClickAsync();
        await Expect(developer.Locator("#client-secret")).ToHaveCountAsync(0);
        await Expect(developer.Locator("figure.usage desc")).ToContainTextAsync("1 request in the last 14 days");
        await shots.TakeAsync(developer, "portal-11-applications");
        await developer.GetByRole(AriaRole.Button, new() { Name = "Rotate the secret of Head teachers' dashboard" }).ClickAsync();
        await Expect(developer.GetByText("the old one no longer works")).ToBeVisibleAsync();
        await shots.TakeAsync(developer, "portal-12-secret-rotated");
        var rotated = await developer.Locator("#client-secret").InputValueAsync();
        Assert.NotEqual(secret, rotated);
        Assert.Null(await TokenAsync(http, clientId, secret));
        var fresh = await TokenAsync(http, clientId, rotated);
        Assert.NotNull(fresh);
        Assert.Equal(HttpStatusCode.OK, await SummaryStatusAsync(http, fresh!));

        // The application's link opens the API documentation with its client id in the Authorize dialog.
        await developer.GetByRole(AriaRole.Link, new() { Name = "Try it in the API documentation" }).ClickAsync();
        await Expect(developer.Locator(".auth-wrapper button.authorize")).ToBeVisibleAsync();
        await developer.Locator(".auth-wrapper button.authorize").ClickAsync();
        await Expect(developer.Locator(".dialog-ux .modal-ux input[data-name=clientId]").First).ToHaveValueAsync(clientId);
        await shots.TakeAsync(developer, "portal-13-api-docs-client-id");

        // More schools: the developer asks, the administrator grants the school but not the higher tier.
        await developer.GotoAsync($"{address}/portal/schools");
        await developer.GetByLabel("Schools to add").FillAsync("ravenscroft-high");
        await developer.GetByLabel("Tier").SelectOptionAsync("premium");
        await developer.GetByLabel("Why your application needs them").FillAsync("The high school joins the dashboard next term.");
        await shots.TakeAsync(developer, "portal-14-more-schools");
        await developer.GetByRole(AriaRole.Button, new() { Name = "Send the request" }).ClickAsync();
        await Expect(developer.GetByText("Waiting for review")).ToBeVisibleAsync();
        await admin.GetByRole(AriaRole.Link, new() { Name = "Review requests" }).ClickAsync();
        var more = admin.Locator("section.card", new() { Has = admin.GetByRole(AriaRole.Heading, new() { Name = "Tartu School Analytics: more schools" }) });
        await more.GetByLabel("Highest tier").SelectOptionAsync("standard");
        await shots.TakeAsync(admin, "portal-15-review-more-schools");
        await more.GetByRole(AriaRole.Button, new() { Name = "Approve more for Tartu School Analytics" }).ClickAsync();
        await Expect(admin.GetByText("Approved: Tartu School Analytics holds the added grant now.")).ToBeVisibleAsync();
        await developer.GotoAsync($"{address}/portal/applications");
        await developer.GetByRole(AriaRole.Button, new() { Name = "Give Head teachers' dashboard the schools ravenscroft-high" }).ClickAsync();
        await Expect(developer.GetByRole(AriaRole.Cell, new() { Name = "oakwood-primary, ravenscroft-high" })).ToBeVisibleAsync();
        await shots.TakeAsync(developer, "portal-16-applications-widened");

        // A new password: this browser stays, the other session ends.
        var second = await OpenAsync(browser, $"{address}/portal/sign-in");
        await second.GetByLabel("E-mail address").FillAsync(developerEmail);
        await second.GetByLabel("Password").FillAsync(DeveloperPassword);
        await second.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(second.GetByRole(AriaRole.Heading, new() { Name = "Your access" })).ToBeVisibleAsync();
        await developer.GetByRole(AriaRole.Link, new() { Name = "Password" }).ClickAsync();
        await developer.GetByLabel("Current password").FillAsync(DeveloperPassword);
        await developer.GetByLabel("New password", new() { Exact = true }).FillAsync("another long and memorable passphrase");
        await developer.GetByLabel("New password again").FillAsync("another long and memorable passphrase");
        await shots.TakeAsync(developer, "portal-17-change-password");
        await developer.GetByRole(AriaRole.Button, new() { Name = "Change password" }).ClickAsync();
        await Expect(developer.GetByText("Every other session of your account has ended.")).ToBeVisibleAsync();
        await shots.TakeAsync(developer, "portal-18-password-changed");
        await second.ReloadAsync();
        await Expect(second.GetByRole(AriaRole.Heading, new() { Name = "Sign in" })).ToBeVisibleAsync();
    }

    private static async Task<IPage> OpenAsync(IBrowser browser, string url)
    {
        var context = await browser.NewContextAsync(new() { IgnoreHTTPSErrors = true, ViewportSize = new() { Width = 1280, Height = 900 } });
        // A busy machine renders slowly; the waits end as soon as what they wait for is there.
        context.SetDefaultTimeout(30_000);
        SetDefaultExpectTimeout(30_000);
        var page = await context.NewPageAsync();
        await page.GotoAsync(url);
        return page;
    }

    private static async Task<string?> TokenAsync(HttpClient http, string clientId, string secret)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/oauth/token")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "client_credentials" }),
        };
        request.Headers.Authorization = StatsApiFactory.BasicAuth(clientId, secret);
        using var response = await http.SendAsync(request);
        return response.IsSuccessStatusCode ? (await response.JsonAsync()).GetProperty("access_token").GetString() : null;
    }

    private static async Task<HttpStatusCode> SummaryStatusAsync(HttpClient http, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Summary);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await http.SendAsync(request);
        return response.StatusCode;
    }

    private sealed class Screenshots
    {
        private readonly string _folder = Environment.GetEnvironmentVariable("STATSAPI_TEST_SCREENSHOTS") is { Length: > 0 } configured
            ? configured
            : Path.Combine(AppContext.BaseDirectory, "screenshots");

        public async Task TakeAsync(IPage page, string step)
        {
            Directory.CreateDirectory(_folder);
            await page.ScreenshotAsync(new() { Path = Path.Combine(_folder, $"{step}.png"), FullPage = true });
        }
    }
}
