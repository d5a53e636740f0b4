using System.Net;
using System.Net.Http.Headers;
using Dapper;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Options;
using StatsApi.Auth;
using StatsApi.Portal;
using StatsApi.Tests.Infrastructure;
using StatsApi.Tokens;

namespace StatsApi.Tests;

/// <summary>The service on a clock the portal's lockout tests move.</summary>
public sealed class PortalFactory : StatsApiFactory
{
    public ManualClock Clock { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services =>
        {
            services.AddSingleton<TimeProvider>(Clock);
            services.AddTransient<IStartupFilter, ThroughTheProxy>();
        });
    }

    /// <summary>A browser at this network address, reaching the service through the TLS-terminating proxy it trusts.</summary>
    public PortalSession SessionFrom(string address)
    {
        var session = new PortalSession(this);
        session.Http.DefaultRequestHeaders.Add("X-Forwarded-For", address);
        session.Http.DefaultRequestHeaders.Add("X-Forwarded-Proto", "https");
        return session;
    }

    // Every request arrives from the trusted proxy, which names the browser's address as a real one does.
    private sealed class ThroughTheProxy : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, following) =>
            {
                context.Connection.RemoteIpAddress = IPAddress.Parse(ProxyAddress);
                return following(context);
            });
            next(app);
        };
    }
}

/// <summary>
/// The developer portal's rules through the whole pipeline: its forms, its cookie, who sees which
/// application, the lockout and the encoding of what developers type.
/// </summary>
[LongRunning(6)]
public class PortalTests(StatsApiFactory app) : IClassFixture<StatsApiFactory>
{
    public const string Password = "correct horse battery staple";
    private const string School = "oakwood-primary";

    [Fact]
    public async Task AnApprovedDeveloperMakesCredentialsThatGetATokenAndEveryDoorIsAudited()
    {
        using var developer = new PortalSession(app);
        var (_, organisation) = await ApprovedDeveloperAsync(developer, "Tartu Dashboards");

        var (status, html, _) = await CreateApplicationAsync(developer, "Dashboard");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("shown only this once", html, StringComparison.Ordinal);
        var clientId = PortalSession.Field(html, "client-id");
        var secret = PortalSession.Field(html, "client-secret");
        Assert.Equal(32, clientId.Length);
        Assert.Equal(40, secret.Length);

        var (_, list) = await developer.GetAsync("/portal/applications");
        Assert.Contains(clientId, list, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, list, StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.OK, await TokenStatusAsync(clientId, secret));
        await using var connection = await app.DataSource.OpenConnectionAsync();
        var actor = await connection.QuerySingleAsync<string>(
            "select actor from client_events where client_id = @clientId and action = 'create'", new { clientId });
        Assert.StartsWith("portal: developer ", actor, StringComparison.Ordinal);
        Assert.Equal(organisation, await connection.QuerySingleAsync<long>(
            "select request_id from portal_applications where client_id = @clientId", new { clientId }));

        // The admin API's door writes the same trail.
        using var admin = await app.CreateClientWithScopesAsync([], Scopes.Admin);
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync($"/v1/admin/clients/{clientId}/rotate-secret", null)).StatusCode);
        Assert.StartsWith("admin api: client ", await connection.QuerySingleAsync<string>(
            "select actor from client_events where client_id = @clientId and action = 'rotate-secret'", new { clientId }), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, await TokenStatusAsync(clientId, secret));
    }

    [Fact]
    public async Task RotatingShowsANewSecretOnceAndTheOldOneFails()
    {
        using var developer = new PortalSession(app);
        await ApprovedDeveloperAsync(developer, "Rotating Ltd");
        var (_, created, _) = await CreateApplicationAsync(developer, "Rotated");
        var clientId = PortalSession.Field(created, "client-id");
        var oldSecret = PortalSession.Field(created, "client-secret");

        var (status, rotated, _) = await developer.PostAsync("/portal/applications", [new("clientId", clientId)], "Rotate");
        Assert.Equal(HttpStatusCode.OK, status);
        var newSecret = PortalSession.Field(rotated, "client-secret");
        Assert.NotEqual(oldSecret, newSecret);
        Assert.NotEqual(HttpStatusCode.OK, await TokenStatusAsync(clientId, oldSecret));
        Assert.Equal(HttpStatusCode.OK, await TokenStatusAsync(clientId, newSecret));

        var (revoked, _, _) = await developer.PostAsync("/portal/applications", [new("clientId", clientId)], "Revoke");
        Assert.Equal(HttpStatusCode.Redirect, revoked);
        Assert.NotEqual(HttpStatusCode.OK, await TokenStatusAsync(clientId, newSecret));
    }

    [Fact]
    public async Task ARevokedApplicationsTokensStopOnEveryInstanceWithinTheRevocationBound()
    {
        using var developer = new PortalSession(app);
        await ApprovedDeveloperAsync(developer, "Revoking Ltd");
        var (_, created, _) = await CreateApplicationAsync(developer, "Soon revoked");
        var clientId = PortalSession.Field(created, "client-id");
        var secret = PortalSession.Field(created, "client-secret");
        var token = await TokenAsync(clientId, secret);
        // Two instances that reload revocations every second, so the wait for the bound is short.
        var fast = new Dictionary<string, string?> { ["Auth:RevocationRefreshSeconds"] = "1" };
        await using var first = app.CreateRestarted(fast);
        await using var second = app.CreateRestarted(fast);
        using var here = first.CreateClient();
        using var there = second.CreateClient();
        foreach (var instance in new[] { here, there })
        {
            instance.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            Assert.Equal(HttpStatusCode.OK, (await instance.GetAsync($"/v1/schools/{School}")).StatusCode);
        }

        // What `clients revoke` and the README promise: Auth:RevocationRefreshSeconds, as these instances are configured.
        var bound = TimeSpan.FromSeconds(first.Services.GetRequiredService<IOptions<AuthOptions>>().Value.RevocationRefreshSeconds);
        Assert.Equal(HttpStatusCode.Redirect, (await developer.PostAsync("/portal/applications", [new("clientId", clientId)], "Revoke")).Status);
        var since = System.Diagnostics.Stopwatch.StartNew();
        Assert.Equal(HttpStatusCode.Unauthorized, await TokenStatusAsync(clientId, secret));
        foreach (var instance in new[] { here, there })
        {
            // Polled: each instance stops the token as soon as its refresh reads the revocation; the slack is the refresh's own time.
            while ((await instance.GetAsync($"/v1/schools/{School}")).StatusCode != HttpStatusCode.Unauthorized)
            {
                Assert.True(since.Elapsed < bound + TimeSpan.FromSeconds(5), $"The token still worked {since.Elapsed} after the revocation; the bound is {bound}.");
                await Task.Delay(TimeSpan.FromMilliseconds(100));
            }
        }
        Assert.True(since.Elapsed < bound + TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task TheUsageChartCountsEveryInstancesRequestsAndItsClientErrorsAsAPictureAndAsText()
    {
        using var developer = new PortalSession(app);
        await ApprovedDeveloperAsync(developer, "Counting Ltd");
        var (_, created, _) = await CreateApplicationAsync(developer, "Counted <b>app</b>");
        var clientId = PortalSession.Field(created, "client-id");
        var token = await TokenAsync(clientId, PortalSession.Field(created, "client-secret"));
        await using var other = app.CreateRestarted();
        using var here = app.CreateClient();
        using var there = other.CreateClient();
        foreach (var instance in new[] { here, there })
        {
            instance.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            Assert.Equal(HttpStatusCode.OK, (await instance.GetAsync($"/v1/schools/{School}")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await instance.GetAsync($"/v1/schools/{School}")).StatusCode);
        }
        Assert.Equal(HttpStatusCode.Forbidden, (await here.GetAsync("/v1/schools/ravenscroft-high")).StatusCode);

        // What the instances' background flushes would write within seconds, written now.
        await app.Services.GetRequiredService<StatsApi.RateLimiting.ClientUsage>().FlushAsync();
        await other.Services.GetRequiredService<StatsApi.RateLimiting.ClientUsage>().FlushAsync();
        var (_, page) = await developer.GetAsync("/portal/applications");
        Assert.Contains("<desc id=\"usage-" + clientId + "-svg-desc\">5 requests in the last 14 days, of which 0 were refused with 429 (rate limited) and 1 answered another 4xx.",
            page, StringComparison.Ordinal);
        var today = DateTime.UtcNow.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Matches($"<time datetime=\"{today}\">[^<]+</time></th><td>5</td><td>0</td><td>1</td>", page);
        Assert.DoesNotContain("Counted <b>app</b>", page, StringComparison.Ordinal);
        Assert.Contains("Counted &lt;b&gt;app&lt;/b&gt;", page, StringComparison.Ordinal);
        Assert.DoesNotContain("never", page, StringComparison.Ordinal);
        await using var connection = await app.DataSource.OpenConnectionAsync();
        Assert.Equal(5, await connection.QuerySingleAsync<long>("select sum(requests) from client_usage_daily where client_id = @clientId", new { clientId }));
    }

    [Fact]
    public async Task AFormPostedWithoutItsAntiforgeryTokenIsRefused()
    {
        using var developer = new PortalSession(app);
        var email = NewEmail();
        var (status, _, _) = await developer.PostAsync("/portal/sign-up",
            [new("Email", email), new("Password", Password), new("ConfirmPassword", Password)], withToken: false);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        await using var connection = await app.DataSource.OpenConnectionAsync();
        Assert.False(await connection.ExecuteScalarAsync<bool>(
            "select exists (select 1 from developer_accounts where lower(email) = lower(@email))", new { email }));

        await developer.SignUpAsync(email, Password);
        var (signedIn, _, _) = await developer.PostAsync("/portal/request", [new("Organisation", "No token")], withToken: false);
        Assert.Equal(HttpStatusCode.BadRequest, signedIn);
    }

    [Fact]
    public async Task APasswordIsStoredAsPbkdf2WithHmacSha512AtAHundredThousandIterationsAndSignsIn()
    {
        await using var production = app.CreateRestarted().WithProductionPasswordHashing();
        using var developer = new PortalSession(production);
        var email = NewEmail();

        await developer.SignUpAsync(email, Password);
        using var again = new PortalSession(production);
        var (status, _, location) = await again.SignInAsync(email, Password);

        Assert.Equal(HttpStatusCode.Redirect, status);
        Assert.DoesNotContain("sign-in", location ?? "", StringComparison.Ordinal);
        await using var connection = await app.DataSource.OpenConnectionAsync();
        var stored = Convert.FromBase64String(await connection.QuerySingleAsync<string>(
            "select password_hash from developer_accounts where lower(email) = lower(@email)", new { email }));
        // ASP.NET Core Identity's version 3 format: a marker, then the PRF, the iteration count and the salt's length, big-endian.
        Assert.Equal(0x01, stored[0]);
        Assert.Equal(2u, System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(stored.AsSpan(1)));
        Assert.Equal(100_000u, System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(stored.AsSpan(5)));
        Assert.DoesNotContain(Password, System.Text.Encoding.UTF8.GetString(stored), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnotherOrganisationsApplicationAnswers404()
    {
        using var owner = new PortalSession(app);
        await ApprovedDeveloperAsync(owner, "Owner Org");
        var (_, created, _) = await CreateApplicationAsync(owner, "Theirs");
        var clientId = PortalSession.Field(created, "client-id");
        var secret = PortalSession.Field(created, "client-secret");

        using var other = new PortalSession(app);
        await ApprovedDeveloperAsync(other, "Other Org");
        var (_, list) = await other.GetAsync("/portal/applications");
        Assert.DoesNotContain(clientId, list, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await other.PostAsync("/portal/applications", [new("clientId", clientId)], "Rotate")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await other.PostAsync("/portal/applications", [new("clientId", clientId)], "Revoke")).Status);
        Assert.Equal(HttpStatusCode.OK, await TokenStatusAsync(clientId, secret));
    }

    [Fact]
    public async Task APendingDeveloperCannotCreateAnApplication()
    {
        using var developer = new PortalSession(app);
        await developer.SignUpAsync(NewEmail(), Password);
        var (_, page) = await developer.GetAsync("/portal");
        Assert.Contains("waiting for a platform administrator", page, StringComparison.Ordinal);
        await developer.RequestAccessAsync("Pending Org");

        var (status, html, _) = await developer.PostAsync("/portal/applications",
            [new("Name", "Too early"), new("Tier", "standard"), new("Scopes", Scopes.AttendanceRead)], "Create");
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains("not approved yet", html, StringComparison.Ordinal);
        await using var connection = await app.DataSource.OpenConnectionAsync();
        Assert.False(await connection.ExecuteScalarAsync<bool>("select exists (select 1 from api_clients where name = 'Too early')"));
    }

    [Fact]
    public async Task WhatADeveloperTypedIsShownAsText()
    {
        const string Typed = "<script>alert(1)</script>";
        using var developer = new PortalSession(app);
        await developer.SignUpAsync(NewEmail(), Password);
        var (status, _, _) = await developer.RequestAccessAsync(Typed);
        Assert.Equal(HttpStatusCode.Redirect, status);

        var (_, own) = await developer.GetAsync("/portal");
        Assert.DoesNotContain(Typed, own, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", own, StringComparison.Ordinal);

        using var admin = await PlatformAdminAsync();
        var (_, queue) = await admin.GetAsync("/portal/admin");
        Assert.DoesNotContain(Typed, queue, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", queue, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PagesForbidInlineScriptAndTheCookieAndTheTokenStayOnTheirOwnSide()
    {
        using var developer = new PortalSession(app);
        using var response = await developer.Http.GetAsync("/portal/sign-in");
        var policy = response.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("script-src 'self'", policy, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-inline", policy, StringComparison.Ordinal);
        Assert.True(response.Headers.CacheControl?.NoStore);
        Assert.DoesNotMatch("<script(?![^>]*src=)", await response.Content.ReadAsStringAsync());

        await developer.SignUpAsync(NewEmail(), Password);
        var cookie = (await developer.Http.GetAsync("/portal")).StatusCode;
        Assert.Equal(HttpStatusCode.OK, cookie);
        // The portal's cookie is nothing to the API.
        Assert.Equal(HttpStatusCode.Unauthorized, (await developer.Http.GetAsync($"/v1/schools/{School}")).StatusCode);

        // A bearer token is nothing to the portal: it sends the browser to sign in.
        var token = await app.GetTokenAsync(await app.CreateClientAsync([School]));
        using var bearer = new PortalSession(app);
        bearer.Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var refused = await bearer.Http.GetAsync("/portal/applications");
        Assert.Equal(HttpStatusCode.Redirect, refused.StatusCode);
        Assert.StartsWith("https://localhost/portal/sign-in", refused.Headers.Location!.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SignOutEndsTheSession()
    {
        using var developer = new PortalSession(app);
        await developer.SignUpAsync(NewEmail(), Password);
        Assert.Equal(HttpStatusCode.OK, (await developer.GetAsync("/portal")).Status);
        Assert.Equal(HttpStatusCode.Redirect, (await developer.PostAsync("/portal/sign-out", [])).Status);
        Assert.Equal(HttpStatusCode.Redirect, (await developer.GetAsync("/portal")).Status);
    }

    [Fact]
    public async Task ChangingThePasswordEndsEveryOtherSessionOnEveryInstanceAndKeepsThisOne()
    {
        var email = NewEmail();
        using var here = new PortalSession(app);
        await here.SignUpAsync(email, Password);
        // Another browser, signed in through another instance of the service: the cookie is read by either.
        await using var instance = app.CreateRestarted();
        using var elsewhere = new PortalSession(instance);
        Assert.Equal(HttpStatusCode.Redirect, (await elsewhere.SignInAsync(email, Password)).Status);
        Assert.Equal(HttpStatusCode.OK, (await elsewhere.GetAsync("/portal")).Status);
        using var copied = new PortalSession(app);
        copied.Http.DefaultRequestHeaders.Add("Cookie", string.Join("; ", elsewhere.Cookies()));
        Assert.Equal(HttpStatusCode.OK, (await copied.GetAsync("/portal")).Status);

        const string NewPassword = "a different and longer passphrase";
        var (wrong, wrongHtml, _) = await here.PostAsync("/portal/password",
            [new("Password", "not the current one at all"), new("NewPassword", NewPassword), new("ConfirmPassword", NewPassword)]);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong);
        Assert.Contains("The current password is wrong.", wrongHtml, StringComparison.Ordinal);
        var (weak, weakHtml, _) = await here.PostAsync("/portal/password",
            [new("Password", Password), new("NewPassword", "password1234"), new("ConfirmPassword", "password1234")]);
        Assert.Equal(HttpStatusCode.BadRequest, weak);
        Assert.Contains("id=\"NewPassword-error\">This password is among the first that are guessed", weakHtml, StringComparison.Ordinal);
        var (shortOne, shortHtml, _) = await here.PostAsync("/portal/password",
            [new("Password", Password), new("NewPassword", "too short"), new("ConfirmPassword", "too short")]);
        Assert.Equal(HttpStatusCode.BadRequest, shortOne);
        Assert.Contains("at least 12 characters", shortHtml, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await elsewhere.GetAsync("/portal")).Status);

        var (changed, _, location) = await here.PostAsync("/portal/password",
            [new("Password", Password), new("NewPassword", NewPassword), new("ConfirmPassword", NewPassword)]);
        Assert.Equal(HttpStatusCode.Redirect, changed);
        var (_, done) = await here.GetAsync(location!);
        Assert.Contains("Every other session of your account has ended.", done, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await here.GetAsync("/portal")).Status);
        // The other browser, on either instance, is sent to sign in again.
        Assert.Equal(HttpStatusCode.Redirect, (await elsewhere.GetAsync("/portal")).Status);
        Assert.Equal(HttpStatusCode.Redirect, (await copied.GetAsync("/portal")).Status);

        using var later = new PortalSession(instance);
        Assert.Equal(HttpStatusCode.Unauthorized, (await later.SignInAsync(email, Password)).Status);
        Assert.Equal(HttpStatusCode.Redirect, (await later.SignInAsync(email, NewPassword)).Status);
    }

    [Fact]
    public async Task SignOutEndsTheSessionACopiedCookieAndTheOtherBrowsersOnEveryInstance()
    {
        var email = NewEmail();
        using var here = new PortalSession(app);
        await here.SignUpAsync(email, Password);
        var kept = here.Cookies();
        await using var instance = app.CreateRestarted();
        using var elsewhere = new PortalSession(instance);
        await elsewhere.SignInAsync(email, Password);
        Assert.Equal(HttpStatusCode.OK, (await elsewhere.GetAsync("/portal")).Status);

        Assert.Equal(HttpStatusCode.Redirect, (await here.PostAsync("/portal/sign-out", [])).Status);
        using var replayed = new PortalSession(instance);
        replayed.Http.DefaultRequestHeaders.Add("Cookie", string.Join("; ", kept));
        Assert.Equal(HttpStatusCode.Redirect, (await replayed.GetAsync("/portal")).Status);
        Assert.Equal(HttpStatusCode.Redirect, (await elsewhere.GetAsync("/portal")).Status);
    }

    [Fact]
    public async Task AnApprovedRequestForMoreSchoolsWidensTheGrantAuditedAsApprovalsAreAndApplicationsMayThenReadThem()
    {
        const string Added = "ravenscroft-high";
        using var developer = new PortalSession(app);
        var (_, organisation) = await ApprovedDeveloperAsync(developer, "Widening Ltd");
        var (_, created, _) = await CreateApplicationAsync(developer, "Widened");
        var clientId = PortalSession.Field(created, "client-id");
        var secret = PortalSession.Field(created, "client-secret");

        var (empty, emptyHtml, _) = await developer.PostAsync("/portal/schools", [new("Schools", School), new("Purpose", "")]);
        Assert.Equal(HttpStatusCode.BadRequest, empty);
        Assert.Contains("id=\"Purpose-error\"", emptyHtml, StringComparison.Ordinal);
        Assert.Contains("has these schools, this tier and these scopes already", emptyHtml, StringComparison.Ordinal);
        var (asked, _, _) = await developer.PostAsync("/portal/schools",
            [new("Schools", $"{Added}, {School}"), new("Tier", "premium"), new("Scopes", Scopes.CoursesRead), new("Purpose", "The high school joins the district dashboard.")]);
        Assert.Equal(HttpStatusCode.Redirect, asked);
        var (_, waiting) = await developer.GetAsync("/portal/schools");
        Assert.Contains("Waiting for review", waiting, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Conflict, (await developer.PostAsync("/portal/schools", [new("Schools", "another-school"), new("Purpose", "Twice.")])).Status);

        // The administrator grants the school and the scope, but not the higher tier.
        using var admin = await PlatformAdminAsync();
        await using var connection = await app.DataSource.OpenConnectionAsync();
        var schoolRequestId = await connection.QuerySingleAsync<long>(
            "select school_request_id from school_requests where request_id = @organisation and state = 'pending'", new { organisation });
        var (approved, approvedHtml, _) = await admin.PostAsync("/portal/admin",
            [new("SchoolRequestId", $"{schoolRequestId}"), new("Schools", Added), new("Tier", "standard"), new("Scopes", Scopes.CoursesRead)], "ApproveSchools");
        Assert.True(approved == HttpStatusCode.OK, approvedHtml);
        Assert.Contains("Approved: Widening Ltd holds the added grant now.", approvedHtml, StringComparison.Ordinal);
        var grant = await connection.QuerySingleAsync<(string[] Schools, string Tier, string[] Scopes)>(
            "select granted_schools, granted_tier, granted_scopes from access_requests where request_id = @organisation", new { organisation });
        Assert.Equal([School, Added], grant.Schools);
        Assert.Equal("standard", grant.Tier);
        Assert.Contains(Scopes.CoursesRead, grant.Scopes);
        // Both reviews of the organisation went through one path and left one trail.
        var trail = (await connection.QueryAsync<(string Action, string Actor, string[] Schools)>(
            "select action, actor, schools from grant_events where request_id = @organisation order by event_id", new { organisation })).ToList();
        Assert.Equal(["approve", "add-schools"], trail.Select(e => e.Action));
        Assert.All(trail, e => Assert.StartsWith("portal: administrator ", e.Actor, StringComparison.Ordinal));
        Assert.Equal([School, Added], trail[1].Schools);

        // The application reads the new school once the developer gives it, through the registry's update.
        Assert.Equal(HttpStatusCode.Forbidden, await SchoolStatusAsync(clientId, secret, Added));
        var (_, list) = await developer.GetAsync("/portal/applications");
        Assert.Contains($"Add {Added}", list, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Redirect, (await developer.PostAsync("/portal/applications", [new("clientId", clientId)], "AddSchools")).Status);
        Assert.Equal(HttpStatusCode.OK, await SchoolStatusAsync(clientId, secret, Added));
        Assert.StartsWith("portal: developer ", await connection.QuerySingleAsync<string>(
            "select actor from client_events where client_id = @clientId and action = 'update'", new { clientId }), StringComparison.Ordinal);

        // A decline's reason reaches the developer, as typed and encoded.
        await developer.PostAsync("/portal/schools", [new("Schools", "elmfield-academy"), new("Purpose", "One more.")]);
        var next = await connection.QuerySingleAsync<long>(
            "select school_request_id from school_requests where request_id = @organisation and state = 'pending'", new { organisation });
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync("/portal/admin",
            [new("SchoolRequestId", $"{next}"), new("Reason", "<script>alert(1)</script> is not a school of ours.")], "DeclineSchools")).Status);
        var (_, declined) = await developer.GetAsync("/portal/schools");
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt; is not a school of ours.", declined, StringComparison.Ordinal);
        Assert.DoesNotContain("<script>alert(1)</script>", declined, StringComparison.Ordinal);
        Assert.Equal("decline-schools", await connection.QuerySingleAsync<string>(
            "select action from grant_events where school_request_id = @next", new { next }));
    }

    [Fact]
    public async Task AnotherOrganisationsRequestForSchoolsAnswers404AndOnlyAdministratorsReviewThem()
    {
        using var owner = new PortalSession(app);
        var (_, organisation) = await ApprovedDeveloperAsync(owner, "Asking Org");
        Assert.Equal(HttpStatusCode.Redirect, (await owner.PostAsync("/portal/schools", [new("Schools", "ravenscroft-high"), new("Purpose", "More.")])).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await owner.PostAsync("/portal/schools", [new("Schools", "elmfield-academy"), new("Purpose", "More.")], withToken: false)).Status);
        await using var connection = await app.DataSource.OpenConnectionAsync();
        var id = await connection.QuerySingleAsync<long>(
            "select school_request_id from school_requests where request_id = @organisation", new { organisation });

        using var other = new PortalSession(app);
        await ApprovedDeveloperAsync(other, "Nosy Org");
        var (_, theirs) = await other.GetAsync("/portal/schools");
        Assert.DoesNotContain("Withdraw this request", theirs, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await other.PostAsync("/portal/schools", [new("schoolRequestId", $"{id}")], "Withdraw")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await other.PostAsync("/portal/admin",
            [new("SchoolRequestId", $"{id}"), new("Schools", "ravenscroft-high"), new("Tier", "premium")], "ApproveSchools", tokenFrom: "/portal/schools")).Status);
        Assert.Equal("pending", await connection.QuerySingleAsync<string>("select state from school_requests where school_request_id = @id", new { id }));

        using var pending = new PortalSession(app);
        await pending.SignUpAsync(NewEmail(), Password);
        Assert.Equal(HttpStatusCode.Forbidden, (await pending.GetAsync("/portal/schools")).Status);

        Assert.Equal(HttpStatusCode.Redirect, (await owner.PostAsync("/portal/schools", [new("schoolRequestId", $"{id}")], "Withdraw")).Status);
        Assert.Equal("withdrawn", await connection.QuerySingleAsync<string>("select state from school_requests where school_request_id = @id", new { id }));
    }

    [Fact]
    public async Task PortalAdminsAddMakesAnAdministratorWhoSignsInAndListListsThem()
    {
        var email = NewEmail();
        var (exit, output, _) = await AdminAsync("portal", "admins", "add", email, "--json");
        Assert.Equal(0, exit);
        var password = System.Text.Json.JsonDocument.Parse(output).RootElement.GetProperty("password").GetString()!;
        using (var admin = new PortalSession(app))
        {
            Assert.Equal(HttpStatusCode.Redirect, (await admin.SignInAsync(email, password)).Status);
            Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/portal/admin")).Status);
        }
        Assert.Contains(email, (await AdminAsync("portal", "admins", "list")).Output, StringComparison.Ordinal);
        Assert.Equal(2, (await AdminAsync("portal", "admins", "add", "not an address")).Exit);

        // A developer who is no administrator finds no queue.
        using var developer = new PortalSession(app);
        await developer.SignUpAsync(NewEmail(), Password);
        Assert.Equal(HttpStatusCode.NotFound, (await developer.GetAsync("/portal/admin")).Status);
    }

    private async Task<(int Exit, string Output, string Error)> AdminAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = StatsApi.Admin.AdminCli.TryAnswerWithoutServices(args, output, error)
            ?? await StatsApi.Admin.AdminCli.RunAsync(app.Services, args, output, error);
        return (exit, output.ToString(), error.ToString());
    }

    public static string NewEmail() => $"dev-{Guid.NewGuid():N}@example.org";

    /// <summary>A developer signed up, with a request approved by a platform administrator in the portal; the request's id.</summary>
    private async Task<(string Email, long RequestId)> ApprovedDeveloperAsync(PortalSession developer, string organisation)
    {
        var email = NewEmail();
        Assert.Equal(HttpStatusCode.Redirect, (await developer.SignUpAsync(email, Password)).Status);
        Assert.Equal(HttpStatusCode.Redirect, (await developer.RequestAccessAsync(organisation)).Status);
        await using var connection = await app.DataSource.OpenConnectionAsync();
        var requestId = await connection.QuerySingleAsync<long>(
            "select request_id from access_requests r join developer_accounts a using (account_id) where a.email = @email", new { email });
        using var admin = await PlatformAdminAsync();
        var (status, html, _) = await admin.PostAsync("/portal/admin",
        [
            new("RequestId", $"{requestId}"), new("Schools", School), new("Tier", "standard"),
            new("Scopes", Scopes.AttendanceRead), new("Scopes", Scopes.SchoolsRead),
        ], "Approve");
        Assert.True(status == HttpStatusCode.OK, html);
        Assert.Contains("Approved", html, StringComparison.Ordinal);
        return (email, requestId);
    }

    private async Task<PortalSession> PlatformAdminAsync()
    {
        var (account, password) = await app.Services.GetRequiredService<DeveloperAccounts>().MakePlatformAdminAsync(NewEmail());
        var session = new PortalSession(app);
        Assert.Equal(HttpStatusCode.Redirect, (await session.SignInAsync(account.Email, password!)).Status);
        return session;
    }

    private static Task<(HttpStatusCode Status, string Html, string? Location)> CreateApplicationAsync(PortalSession developer, string name) =>
        developer.PostAsync("/portal/applications",
            [new("Name", name), new("Tier", "standard"), new("Scopes", Scopes.AttendanceRead), new("Scopes", Scopes.SchoolsRead)], "Create");

    private async Task<HttpStatusCode> SchoolStatusAsync(string clientId, string secret, string school)
    {
        using var client = app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await TokenAsync(clientId, secret));
        using var response = await client.GetAsync($"/v1/schools/{school}");
        return response.StatusCode;
    }

    private async Task<string> TokenAsync(string clientId, string secret)
    {
        using var client = app.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/oauth/token")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "client_credentials" }),
        };
        request.Headers.Authorization = StatsApiFactory.BasicAuth(clientId, secret);
        using var response = await client.SendAsync(request);
        return (await response.JsonAsync()).GetProperty("access_token").GetString()!;
    }

    private async Task<HttpStatusCode> TokenStatusAsync(string clientId, string secret)
    {
        using var client = app.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/oauth/token")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "client_credentials" }),
        };
        request.Headers.Authorization = StatsApiFactory.BasicAuth(clientId, secret);
        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }
}

/// <summary>The lockout, on a clock of its own: moving it would age every other test's tokens.</summary>
public class PortalLockoutTests(PortalFactory app) : IClassFixture<PortalFactory>
{
    private const string Password = PortalTests.Password;

    private static string NewEmail() => PortalTests.NewEmail();

    [Fact]
    public async Task RepeatedFailuresLockTheAddressWithAClearMessageUntilTheLockoutEnds()
    {
        var email = NewEmail();
        using (var first = new PortalSession(app))
        {
            await first.SignUpAsync(email, Password);
        }
        using var developer = new PortalSession(app);
        for (var failure = 1; failure < DeveloperAccounts.FailuresBeforeLockout; failure++)
        {
            var (status, html, _) = await developer.SignInAsync(email, "not the password at all");
            Assert.Equal(HttpStatusCode.Unauthorized, status);
            Assert.Contains("The e-mail address or the password is wrong", html, StringComparison.Ordinal);
        }
        var (locked, lockedHtml, _) = await developer.SignInAsync(email, "not the password at all");
        Assert.Equal(HttpStatusCode.TooManyRequests, locked);
        Assert.Contains("Too many failed sign-ins for this address: it is locked until", lockedHtml, StringComparison.Ordinal);

        // Even the right password waits out the lockout, on any instance: the count is in the database.
        await using var other = app.CreateRestarted();
        other.WithServices(services => services.AddSingleton<TimeProvider>(app.Clock));
        using var elsewhere = new PortalSession(other);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await elsewhere.SignInAsync(email, Password)).Status);

        app.Clock.Advance(DeveloperAccounts.LockoutDuration + TimeSpan.FromSeconds(1));
        var (after, _, location) = await developer.SignInAsync(email, Password);
        Assert.Equal(HttpStatusCode.Redirect, after);
        Assert.Equal("/portal", location);
    }

    [Fact]
    public async Task OneNetworkAddressTryingManyAccountsIsPausedWhateverTheAccountAndOthersAreNot()
    {
        var email = NewEmail();
        using (var first = new PortalSession(app))
        {
            await first.SignUpAsync(email, Password);
        }
        using var guesser = app.SessionFrom("203.0.113.7");
        for (var failure = 1; failure < DeveloperAccounts.FailuresBeforeAddressLockout; failure++)
        {
            // Each e-mail address fails once: no account's own lockout is near.
            Assert.Equal(HttpStatusCode.Unauthorized, (await guesser.SignInAsync(NewEmail(), "a guess at somebody's password")).Status);
        }
        var (paused, pausedHtml, _) = await guesser.SignInAsync(NewEmail(), "a guess at somebody's password");
        Assert.Equal(HttpStatusCode.TooManyRequests, paused);
        Assert.Contains("Too many failed sign-ins came from your network address: signing in from it is paused until", pausedHtml, StringComparison.Ordinal);

        // The right password waits too from that address; from another, the account signs in.
        Assert.Equal(HttpStatusCode.TooManyRequests, (await guesser.SignInAsync(email, Password)).Status);
        using var colleague = app.SessionFrom("198.51.100.23");
        Assert.Equal(HttpStatusCode.Redirect, (await colleague.SignInAsync(email, Password)).Status);
        // An IPv6 address counts by its /64: the next address of the same network is the same guesser.
        using var sixFirst = app.SessionFrom("2001:db8:1:2::10");
        using var sixNext = app.SessionFrom("2001:db8:1:2::11");
        for (var failure = 1; failure < DeveloperAccounts.FailuresBeforeAddressLockout; failure++)
        {
            await sixFirst.SignInAsync(NewEmail(), "a guess at somebody's password");
        }
        Assert.Equal(HttpStatusCode.TooManyRequests, (await sixNext.SignInAsync(NewEmail(), "a guess at somebody's password")).Status);

        app.Clock.Advance(DeveloperAccounts.LockoutDuration + TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.Redirect, (await guesser.SignInAsync(email, Password)).Status);
    }
}
