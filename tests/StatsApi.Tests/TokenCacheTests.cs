using System.Net;
using System.Net.Http.Headers;
using StatsApi.Tests.Infrastructure;

namespace StatsApi.Tests;

/// <summary>Validated tokens are remembered, and nothing the remembering skips can be abused.</summary>
public class TokenCacheTests(StatsApiFactory app) : IClassFixture<StatsApiFactory>
{
    private const string Summary = "/stats/v1/attendance/summary?school_id=oakwood-primary&from=2026-09-01&to=2026-09-30";

    [Fact]
    public async Task ARememberedTokenStillFailsOnceItExpires()
    {
        await using var strict = app.CreateRestarted(new Dictionary<string, string?> { ["Auth:ClockSkewSeconds"] = "0" });
        var client = strict.CreateClient();
        // A first request starts the host, so that the short-lived token below is not spent on start-up.
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await app.SignWithServiceKeyAsync(StatsApiFactory.ClientClaims("oakwood-primary")));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(Summary)).StatusCode);

        var expires = DateTime.UtcNow.AddSeconds(5);
        var token = await app.SignWithServiceKeyAsync(StatsApiFactory.ClientClaims("oakwood-primary"), expires: expires);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(Summary)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(Summary)).StatusCode);

        await Task.Delay(expires.AddSeconds(1) - DateTime.UtcNow);

        await (await client.GetAsync(Summary)).AssertProblemAsync(HttpStatusCode.Unauthorized, "token_expired");
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
