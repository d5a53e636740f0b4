using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Security.Claims;
using Dapper;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using StatsApi.Auth;
using StatsApi.Clients;
using StatsApi.Tests.Infrastructure;
using StatsApi.Tokens;

namespace StatsApi.Tests;

/// <summary>What a request no longer pays for (docs/performance.md), and that no shortcut changes an answer.</summary>
public class HotPathShortcutTests(StatsApiFactory app) : IClassFixture<StatsApiFactory>
{
    // Spans are not recorded when there is no exporter to send them to; the trace itself must survive that.
    [Fact]
    public async Task WithNoExporterARequestStillJoinsItsCallersTrace()
    {
        var traceId = ActivityTraceId.CreateRandom().ToHexString();
        using var traced = new HttpRequestMessage(HttpMethod.Get, "/health/live");
        traced.Headers.Add("traceparent", $"00-{traceId}-{ActivitySpanId.CreateRandom().ToHexString()}-01");

        var joined = await app.CreateClient().SendAsync(traced);
        var own = (await app.CreateClient().GetAsync("/health/live")).Headers.GetValues("X-Request-Id").Single();

        Assert.Equal(traceId, joined.Headers.GetValues("X-Request-Id").Single());
        Assert.Matches("^[0-9a-f]{32}$", own);
        Assert.NotEqual(traceId, own);
    }

    // The signing key is read with the client and kept until a change is notified (decision 0017): a rotation
    // made by another instance signs this one's tokens as soon as the notification arrives.
    [Fact]
    public async Task TheKeyReadWithTheClientIsTheOneThatSignsNowEvenAfterAnotherInstanceRotates()
    {
        var credentials = await app.CreateClientAsync(["oakwood-primary"]);
        var before = await KidOfNextTokenAsync(credentials);

        await using var other = app.CreateRestarted();
        var rotated = await other.Services.GetRequiredService<SigningKeys>().RotateAsync();

        Assert.NotEqual(before, rotated.Kid);
        Assert.True(await Poll.UntilAsync(async () => await KidOfNextTokenAsync(credentials) == rotated.Kid));
    }

    // One round trip reads both, and the instance keeps what it read; a wrong secret must still get nothing
    // from it, and a client revoked straight in the table nothing once the table's notification arrives.
    [Fact]
    public async Task AWrongSecretOrARevokedClientStillGetsNoToken()
    {
        var credentials = await app.CreateClientAsync(["oakwood-primary"]);
        var client = app.CreateClient();

        var wrong = await PostTokenAsync(client, credentials.Client.ClientId, credentials.ClientSecret[..^1] + "x");
        await using (var connection = await app.DataSource.OpenConnectionAsync())
        {
            await connection.ExecuteAsync("update api_clients set revoked_at = now() where client_id = @id", new { id = credentials.Client.ClientId });
        }

        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.True(await Poll.UntilAsync(async () =>
            (await PostTokenAsync(client, credentials.Client.ClientId, credentials.ClientSecret)).StatusCode == HttpStatusCode.Unauthorized));
    }

    // A cached token's identity is shared by the requests that send it, not copied for each: it must
    // refuse changes, so that one request widening its principal cannot widen the next one's.
    [Fact]
    public async Task ARequestCannotChangeTheIdentityItsTokenSharesWithTheNext()
    {
        var token = await app.GetTokenAsync(await app.CreateClientAsync(["oakwood-primary"]));
        var handler = app.Services.GetRequiredService<CachingTokenHandler>();
        var parameters = app.Services.GetRequiredService<IOptionsMonitor<JwtBearerOptions>>()
            .Get(JwtBearerDefaults.AuthenticationScheme).TokenValidationParameters;

        var first = await handler.ValidateTokenAsync(token, parameters);
        var cached = await handler.ValidateTokenAsync(token, parameters);
        var widened = new Claim("schools", "ravenscroft-high");
        Assert.Throws<InvalidOperationException>(() => cached.ClaimsIdentity.AddClaim(widened));
        var own = cached.ClaimsIdentity.Clone();
        own.AddClaim(widened);

        var client = app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var other = await client.GetAsync("/stats/v1/attendance/summary?school_id=ravenscroft-high&from=2026-09-01&to=2026-12-31");

        Assert.True(first.IsValid);
        Assert.Equal(["oakwood-primary"], (await handler.ValidateTokenAsync(token, parameters)).ClaimsIdentity.FindAll("schools").Select(c => c.Value));
        Assert.Equal(HttpStatusCode.Forbidden, other.StatusCode);
    }

    private async Task<string?> KidOfNextTokenAsync(ClientCredentials credentials)
    {
        var response = await PostTokenAsync(app.CreateClient(), credentials.Client.ClientId, credentials.ClientSecret);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        return new JsonWebToken(body.GetProperty("access_token").GetString()).Kid;
    }

    private static Task<HttpResponseMessage> PostTokenAsync(HttpClient client, string id, string secret)
    {
        client.DefaultRequestHeaders.Authorization = StatsApiFactory.BasicAuth(id, secret);
        return client.PostAsync("/oauth/token", new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "client_credentials" }));
    }
}
