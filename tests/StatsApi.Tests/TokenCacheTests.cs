using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using StatsApi.Tests.Infrastructure;

namespace StatsApi.Tests;

/// <summary>The service on a clock the test moves, with no leeway for clock skew.</summary>
public sealed class StrictClockFactory : StatsApiFactory
{
    public ManualClock Clock { get; } = new();

    public StrictClockFactory() => With("Auth:ClockSkewSeconds", "0");

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services => services.AddSingleton<TimeProvider>(Clock));
    }
}

/// <summary>Validated tokens are remembered, and nothing the remembering skips can be abused.</summary>
public class TokenCacheTests(StrictClockFactory app) : IClassFixture<StrictClockFactory>
{
    private const string Summary = "/stats/v1/attendance/summary?school_id=oakwood-primary&from=2026-09-01&to=2026-09-30";

    [Fact]
    public async Task ARememberedTokenStillFailsOnceItExpires()
    {
        var client = app.CreateClient();
        var issued = app.Clock.GetUtcNow().UtcDateTime;
        var token = await app.SignWithServiceKeyAsync(StatsApiFactory.ClientClaims("oakwood-primary"), notBefore: issued, expires: issued.AddMinutes(5));
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(Summary)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(Summary)).StatusCode);

        app.Clock.Advance(TimeSpan.FromMinutes(5) - TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(Summary)).StatusCode);
        app.Clock.Advance(TimeSpan.FromSeconds(2));

        await (await client.GetAsync(Summary)).AssertProblemAsync(HttpStatusCode.Unauthorized, "token_expired");
    }

    [Fact]
    public async Task ATokenNotValidYetOnTheServicesClockIsRefused()
    {
        var client = app.CreateClient();
        var from = app.Clock.GetUtcNow().UtcDateTime.AddMinutes(1);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer",
            await app.SignWithServiceKeyAsync(StatsApiFactory.ClientClaims("oakwood-primary"), notBefore: from, expires: from.AddMinutes(5)));

        var refused = await (await client.GetAsync(Summary)).AssertProblemAsync(HttpStatusCode.Unauthorized, "invalid_token");
        Assert.Contains("not valid yet", refused.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ARememberedTokenWithOneByteChangedIsValidatedAfresh()
    {
        var token = await app.SignWithServiceKeyAsync(StatsApiFactory.ClientClaims("oakwood-primary"));
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(Summary)).StatusCode);

        var parts = token.Split('.');
        var signature = parts[2].ToCharArray();
        signature[^5] = signature[^5] == 'A' ? 'B' : 'A';
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", $"{parts[0]}.{parts[1]}.{new string(signature)}");

        await (await client.GetAsync(Summary)).AssertProblemAsync(HttpStatusCode.Unauthorized, "invalid_token");
    }
}
