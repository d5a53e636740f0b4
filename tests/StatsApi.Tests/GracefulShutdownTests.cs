using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text.Json;
using StatsApi.Tests.Infrastructure;

namespace StatsApi.Tests;

public class GracefulShutdownTests(StatsApiFactory app) : IClassFixture<StatsApiFactory>
{
    private const string Summary = "/stats/v1/attendance/summary?school_id=oakwood-primary&from=2026-09-01&to=2026-09-30";

    [Fact]
    public async Task SigtermRefusesNewConnectionsLetsTheRequestInFlightFinishAndExitsZero()
    {
        var credentials = await app.CreateClientAsync(["oakwood-primary"]);
        await using var server = await StatsApiProcess.StartServerAsync(new Dictionary<string, string?>
        {
            ["ConnectionStrings__Default"] = app.ConnectionString,
            ["Auth__Issuer"] = StatsApiFactory.Issuer,
            ["Tokens__KeyEncryptionKey"] = StatsApiFactory.KeyEncryptionKey,
            // Plain HTTP on loopback, as behind a proxy there.
            ["Http__AllowPlainHttp"] = "true",
            ["Http__TrustedProxies__0"] = "127.0.0.1",
            ["Http__ShutdownTimeoutSeconds"] = "20",
        });
        using var client = new HttpClient { BaseAddress = server.Address };
        client.DefaultRequestHeaders.Add("X-Forwarded-Proto", "https");
        using var tokenRequest = new HttpRequestMessage(HttpMethod.Post, "/oauth/token")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "client_credentials" }),
        };
        tokenRequest.Headers.Authorization = StatsApiFactory.BasicAuth(credentials.Client.ClientId, credentials.ClientSecret);
        var token = JsonDocument.Parse(await (await client.SendAsync(tokenRequest)).EnsureSuccessStatusCode().Content.ReadAsStringAsync())
            .RootElement.GetProperty("access_token").GetString();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);

        await using var schools = await TableLock.TakeAsync(app.ConnectionString, "schools");
        var inFlight = client.GetAsync(Summary);
        await schools.WaitForWaitersAsync(1);
        server.Terminate();
        await AssertRefusedSoonAsync(server.Address);
        // The request stays in flight a while after the listener closed: shutdown waits for it.
        await Task.Delay(TimeSpan.FromSeconds(2));
        await schools.ReleaseAsync();

        Assert.Equal(HttpStatusCode.OK, (await inFlight).StatusCode);
        Assert.Equal(0, await server.WaitForExitAsync(TimeSpan.FromSeconds(20)));
        // The log is written in batches; the request answered during shutdown still has its line.
        var lines = server.Output.Where(line => line.Length > 0).Select(line => JsonDocument.Parse(line).RootElement).ToList();
        Assert.Contains(lines, line => line.TryGetProperty("State", out var state) && state.TryGetProperty("Path", out var path)
            && path.GetString() == "/stats/v1/attendance/summary" && state.GetProperty("Status").GetInt32() == 200);
    }

    private static async Task AssertRefusedSoonAsync(Uri address)
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            using var probe = new TcpClient();
            try
            {
                await probe.ConnectAsync(address.Host, address.Port);
            }
            // A listener closing with a connection still in its backlog resets it: refused all the same.
            catch (SocketException refused) when (refused.SocketErrorCode is SocketError.ConnectionRefused or SocketError.ConnectionReset)
            {
                return;
            }
            await Task.Delay(100);
        }
        Assert.Fail("The server still accepted connections 5 s after SIGTERM.");
    }
}
