using System.Net;
using System.Net.Http.Headers;
using Microsoft.IdentityModel.JsonWebTokens;
using StatsApi.Tests.Infrastructure;
using StatsApi.Tokens;

namespace StatsApi.Tests;

public class KeyRotationTests(StatsApiFactory app) : IClassFixture<StatsApiFactory>
{
    private const string Summary = "/stats/v1/attendance/summary?school_id=oakwood-primary&from=2026-09-01&to=2026-09-30";

    private static async Task<HttpStatusCode> CallAsync(StatsApiFactory factory, string token)
    {
        var client = factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return (await client.GetAsync(Summary)).StatusCode;
    }

    private static async Task<IReadOnlyList<string>> PublishedKidsAsync(StatsApiFactory factory)
    {
        var jwks = await (await factory.CreateClient().GetAsync("/.well-known/jwks.json")).JsonAsync();
        return jwks.GetProperty("keys").EnumerateArray().Select(k => k.GetProperty("kid").GetString()!).ToList();
    }

    [Fact]
    public async Task TokensStayValidAfterARestartBecauseKeysArePersisted()
    {
        var token = await app.GetTokenAsync(await app.CreateClientAsync(["oakwood-primary"]));

        await using var restarted = app.CreateRestarted();

        Assert.Equal(HttpStatusCode.OK, await CallAsync(restarted, token));
        Assert.Contains(new JsonWebToken(token).Kid, await PublishedKidsAsync(restarted));
    }

    [Fact]
    public async Task ARotationKeepsTheTwoKeysBeforePublishedAndRetiresOlderOnes()
    {
        var credentials = await app.CreateClientAsync(["oakwood-primary"]);
        var first = await app.GetTokenAsync(credentials);
        var keys = app.Services.GetRequiredService<SigningKeys>();

        await keys.RotateAsync();
        var second = await app.GetTokenAsync(credentials);

        Assert.NotEqual(new JsonWebToken(first).Kid, new JsonWebToken(second).Kid);
        Assert.Equal([new JsonWebToken(second).Kid, new JsonWebToken(first).Kid], await PublishedKidsAsync(app));
        Assert.Equal(HttpStatusCode.OK, await CallAsync(app, first));
        Assert.Equal(HttpStatusCode.OK, await CallAsync(app, second));

        await keys.RotateAsync();
        Assert.Equal(HttpStatusCode.OK, await CallAsync(app, first));
        await keys.RotateAsync();

        Assert.Equal(3, (await PublishedKidsAsync(app)).Count);
        Assert.DoesNotContain(new JsonWebToken(first).Kid, await PublishedKidsAsync(app));
        Assert.Equal(HttpStatusCode.Unauthorized, await CallAsync(app, first));
        Assert.Equal(HttpStatusCode.OK, await CallAsync(app, second));
    }

    [Fact]
    public async Task AnInstanceLearnsOfAKeyRotatedElsewhere()
    {
        await using var other = app.CreateRestarted();
        var credentials = await app.CreateClientAsync(["oakwood-primary"]);
        _ = await CallAsync(other, await app.GetTokenAsync(credentials));

        await app.Services.GetRequiredService<SigningKeys>().RotateAsync();
        var token = await app.GetTokenAsync(credentials);

        // The other instance reloads its keys when a token names a kid it has not loaded.
        Assert.True(await Poll.UntilAsync(async () => await CallAsync(other, token) == HttpStatusCode.OK));
    }
}

public sealed class DelayedActivationFactory : StatsApiFactory
{
    public DelayedActivationFactory() => With("Tokens:KeyActivationDelaySeconds", "3600");
}

public class KeyActivationTests(DelayedActivationFactory app) : IClassFixture<DelayedActivationFactory>
{
    [Fact]
    public async Task ARotatedKeyIsPublishedBeforeItSigns()
    {
        var credentials = await app.CreateClientAsync(["oakwood-primary"]);
        var before = new JsonWebToken(await app.GetTokenAsync(credentials)).Kid;

        var next = await app.Services.GetRequiredService<SigningKeys>().RotateAsync();
        var jwks = await (await app.CreateClient().GetAsync("/.well-known/jwks.json")).JsonAsync();
        var after = new JsonWebToken(await app.GetTokenAsync(credentials)).Kid;

        Assert.Contains(next.Kid, jwks.GetProperty("keys").EnumerateArray().Select(k => k.GetProperty("kid").GetString()));
        Assert.Equal(before, after);
    }
}
