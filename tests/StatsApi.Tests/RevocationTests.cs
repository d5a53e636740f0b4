using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Dapper;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using StatsApi.Auth;
using StatsApi.Tests.Infrastructure;
using StatsApi.Tokens;

namespace StatsApi.Tests;

/// <summary>The service on a clock the test sets apart from the database's.</summary>
public sealed class SkewedClockFactory : StatsApiFactory
{
    public ManualClock Clock { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services => services.AddSingleton<TimeProvider>(Clock));
    }

    /// <summary>Puts the service's clock this far from the database's (negative: the database is ahead), inside one whole second.</summary>
    public async Task SkewAsync(TimeSpan offset)
    {
        await using var connection = await DataSource.OpenConnectionAsync();
        var database = await connection.ExecuteScalarAsync<DateTime>("select clock_timestamp()");
        // The middle of a second, so that nothing the test does reaches the next one.
        var target = new DateTimeOffset(database.Ticks - database.Ticks % TimeSpan.TicksPerSecond, TimeSpan.Zero) + offset + TimeSpan.FromMilliseconds(500);
        Clock.Advance(target - Clock.GetUtcNow());
    }
}

/// <summary>
/// A token issued after a change of what it came from always counts, and one issued before never does,
/// whatever the service's clock says against the database's; a change that takes nothing away revokes nothing.
/// </summary>
public class RevocationTests(SkewedClockFactory app) : IClassFixture<SkewedClockFactory>
{
    private const string School = "oakwood-primary";
    private const string Other = "ravenscroft-high";
    private static string Summary(string school) => $"/stats/v1/attendance/summary?school_id={school}&from=2026-09-01&to=2026-09-30";

    [Theory]
    [InlineData(-10_000)]
    [InlineData(-800)]
    [InlineData(0)]
    [InlineData(800)]
    [InlineData(10_000)]
    public async Task ATokenIssuedInTheSecondAfterANarrowingCountsAndOneIssuedBeforeStops(int serviceAheadOfDatabaseMs)
    {
        await app.SkewAsync(TimeSpan.FromMilliseconds(serviceAheadOfDatabaseMs));
        var client = await app.CreateClientAsync([School, Other]);
        var admin = await app.CreateClientWithScopesAsync([], Scopes.Admin);
        var before = Bearer(await app.GetTokenAsync(client));

        var narrowed = await admin.PatchAsJsonAsync($"/v1/admin/clients/{client.Client.ClientId}", new { schools = new[] { School } });
        Assert.Equal(HttpStatusCode.OK, narrowed.StatusCode);
        var after = Bearer(await app.GetTokenAsync(client));
        await app.Services.GetRequiredService<Revocations>().RefreshAsync();

        // The clock has not moved: both tokens carry the same iat.
        await (await before.GetAsync(Summary(School))).AssertProblemAsync(HttpStatusCode.Unauthorized, "token_revoked");
        Assert.Equal(HttpStatusCode.OK, (await after.GetAsync(Summary(School))).StatusCode);
        await (await after.GetAsync(Summary(Other))).AssertProblemAsync(HttpStatusCode.Forbidden, "school_not_approved");

        // A second narrowing stops the token of the first change too, and spares the one issued after it.
        var narrowedAgain = await admin.PatchAsJsonAsync($"/v1/admin/clients/{client.Client.ClientId}", new { tier = "free" });
        Assert.Equal(HttpStatusCode.OK, narrowedAgain.StatusCode);
        var latest = Bearer(await app.GetTokenAsync(client));
        await app.Services.GetRequiredService<Revocations>().RefreshAsync();
        await (await after.GetAsync(Summary(School))).AssertProblemAsync(HttpStatusCode.Unauthorized, "token_revoked");
        Assert.Equal(HttpStatusCode.OK, (await latest.GetAsync(Summary(School))).StatusCode);
    }

    [Fact]
    public async Task ANewNameWiderScopesMoreSchoolsOrAHigherTierRevokeNothing()
    {
        await app.SkewAsync(TimeSpan.FromSeconds(-10));
        var client = await app.CreateClientAsync([School], [Scopes.AttendanceRead], tier: "free");
        var admin = await app.CreateClientWithScopesAsync([], Scopes.Admin);
        var before = Bearer(await app.GetTokenAsync(client));

        var widened = await admin.PatchAsJsonAsync($"/v1/admin/clients/{client.Client.ClientId}", new
        {
            name = "Renamed dashboard",
            tier = "premium",
            schools = new[] { School, Other },
            scopes = new[] { Scopes.AttendanceRead, Scopes.SchoolsRead },
        });
        Assert.Equal(HttpStatusCode.OK, widened.StatusCode);
        await app.Services.GetRequiredService<Revocations>().RefreshAsync();

        Assert.Equal(HttpStatusCode.OK, (await before.GetAsync(Summary(School))).StatusCode);
        var after = Bearer(await app.GetTokenAsync(client));
        Assert.Equal(HttpStatusCode.OK, (await after.GetAsync(Summary(Other))).StatusCode);
    }

    [Fact]
    public async Task APersonReactivatedInTheSecondOfTheirDeactivationGetsTokensThatCount()
    {
        await app.SkewAsync(TimeSpan.FromSeconds(-10));
        var schoolAdmin = await app.CreateClientWithScopesAsync([School], Scopes.UsersWrite);
        var created = await schoolAdmin.PostAsJsonAsync($"/v1/schools/{School}/users", new { role = "teacher", given_name = "Ada", family_name = "Quill" });
        var teacherId = (await created.JsonAsync()).GetProperty("user_id").GetInt64();
        var tool = await app.CreateClientAsync([School], [Scopes.LessonsRead]);
        var before = await app.ActAsAsync(School, teacherId, tool);
        var lessons = $"/v1/schools/{School}/lessons?limit=1";
        Assert.Equal(HttpStatusCode.OK, (await before.GetAsync(lessons)).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await schoolAdmin.PatchAsJsonAsync($"/v1/schools/{School}/users/{teacherId}", new { active = false })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await schoolAdmin.PatchAsJsonAsync($"/v1/schools/{School}/users/{teacherId}", new { active = true })).StatusCode);
        var after = await app.ActAsAsync(School, teacherId, tool);
        await app.Services.GetRequiredService<Revocations>().RefreshAsync();

        await (await before.GetAsync(lessons)).AssertProblemAsync(HttpStatusCode.Unauthorized, "token_revoked");
        Assert.Equal(HttpStatusCode.OK, (await after.GetAsync(lessons)).StatusCode);
    }

    private HttpClient Bearer(string token)
    {
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }
}
