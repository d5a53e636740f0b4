using System.Net;
using StatsApi.Tests.Infrastructure;
using StatsApi.Tokens;

namespace StatsApi.Tests;

/// <summary>Secret guessing at the token endpoints: failures are limited by address and by client, never successes.</summary>
public class TokenGuessingTests(StatsApiFactory app) : IClassFixture<StatsApiFactory>
{
    private const string Attacker = "203.0.113.66";
    private const string RealClient = "198.51.100.7";
    private static readonly string GuessedApiToken = "sta_" + new string('A', 40);

    private StatsApiFactory Limited(int perAddress, int perClient) => app.CreateRestarted(new Dictionary<string, string?>
    {
        ["RateLimits:TokenEndpoint:FailuresPerAddress"] = perAddress.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["RateLimits:TokenEndpoint:FailuresPerClient"] = perClient.ToString(System.Globalization.CultureInfo.InvariantCulture),
    });

    [Fact]
    public async Task GuessingFromOneAddressIsRefusedWhileTheRealClientGetsTokensFromAnother()
    {
        await using var limited = Limited(perAddress: 3, perClient: 100);
        var real = await limited.CreateClientAsync(["oakwood-primary"]);
        var http = limited.CreateClient();

        for (var i = 0; i < 3; i++)
        {
            await (await RequestTokenAsync(http, Attacker, real.Client.ClientId, "wrong" + i)).AssertOAuthErrorAsync(HttpStatusCode.Unauthorized, "invalid_client");
        }
        var refused = await RequestTokenAsync(http, Attacker, real.Client.ClientId, "wrong3");
        await refused.AssertOAuthErrorAsync(HttpStatusCode.TooManyRequests, "slow_down");
        Assert.InRange(refused.Headers.RetryAfter!.Delta!.Value.TotalSeconds, 1, 20);
        // Refused before the secret is looked at: even the right one gets nothing from there.
        await (await RequestTokenAsync(http, Attacker, real.Client.ClientId, real.ClientSecret)).AssertOAuthErrorAsync(HttpStatusCode.TooManyRequests, "slow_down");

        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await RequestTokenAsync(http, RealClient, real.Client.ClientId, real.ClientSecret)).StatusCode);
        }
    }

    [Fact]
    public async Task GuessingOneClientFromManyAddressesRefusesThoseAddressesNotTheClient()
    {
        await using var limited = Limited(perAddress: 5, perClient: 2);
        var real = await limited.CreateClientAsync(["oakwood-primary"]);
        var http = limited.CreateClient();

        // Within the client's limit, an address may fail again; past it, one failure refuses the address.
        await (await RequestTokenAsync(http, "203.0.113.1", real.Client.ClientId, "wrong")).AssertOAuthErrorAsync(HttpStatusCode.Unauthorized, "invalid_client");
        await (await RequestTokenAsync(http, "203.0.113.1", real.Client.ClientId, "wrong")).AssertOAuthErrorAsync(HttpStatusCode.Unauthorized, "invalid_client");
        for (var host = 2; host <= 6; host++)
        {
            var address = $"203.0.113.{host}";
            await (await RequestTokenAsync(http, address, real.Client.ClientId, "wrong")).AssertOAuthErrorAsync(HttpStatusCode.Unauthorized, "invalid_client");
            var again = await RequestTokenAsync(http, address, real.Client.ClientId, "wrong");
            await again.AssertOAuthErrorAsync(HttpStatusCode.TooManyRequests, "slow_down");
            Assert.InRange(again.Headers.RetryAfter!.Delta!.Value.TotalSeconds, 55, 60);
        }

        Assert.Equal(HttpStatusCode.OK, (await RequestTokenAsync(http, RealClient, real.Client.ClientId, real.ClientSecret)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await RequestTokenAsync(http, "203.0.113.1", real.Client.ClientId, real.ClientSecret)).StatusCode);
    }

    [Fact]
    public async Task AnIpv6NetworkCountsAsOneAddress()
    {
        await using var limited = Limited(perAddress: 2, perClient: 100);
        var real = await limited.CreateClientAsync(["oakwood-primary"]);
        var http = limited.CreateClient();

        await (await RequestTokenAsync(http, "2001:db8:1:2::1", real.Client.ClientId, "wrong")).AssertOAuthErrorAsync(HttpStatusCode.Unauthorized, "invalid_client");
        await (await RequestTokenAsync(http, "2001:db8:1:2:aaaa:bbbb:cccc:dddd", real.Client.ClientId, "wrong")).AssertOAuthErrorAsync(HttpStatusCode.Unauthorized, "invalid_client");

        await (await RequestTokenAsync(http, "2001:db8:1:2::99", real.Client.ClientId, "wrong")).AssertOAuthErrorAsync(HttpStatusCode.TooManyRequests, "slow_down");
        await (await RequestTokenAsync(http, "2001:db8:1:3::1", real.Client.ClientId, "wrong")).AssertOAuthErrorAsync(HttpStatusCode.Unauthorized, "invalid_client");
    }

    [Fact]
    public async Task FailedApiTokenExchangesCountAsFailures()
    {
        await using var limited = Limited(perAddress: 2, perClient: 100);
        var tool = await limited.CreateClientAsync(["oakwood-primary"], [Scopes.AttendanceRead]);
        var http = limited.CreateClient();

        await (await ExchangeAsync(http, Attacker, tool.ClientSecret, GuessedApiToken)).AssertOAuthErrorAsync(HttpStatusCode.BadRequest, "invalid_grant");
        await (await ExchangeAsync(http, Attacker, "not-a-client-secret", GuessedApiToken)).AssertOAuthErrorAsync(HttpStatusCode.Unauthorized, "invalid_client");
        await (await ExchangeAsync(http, Attacker, tool.ClientSecret, GuessedApiToken)).AssertOAuthErrorAsync(HttpStatusCode.TooManyRequests, "slow_down");

        // Other refusals are no guesses and never count.
        for (var i = 0; i < 3; i++)
        {
            await (await RequestTokenAsync(http, RealClient, tool.Client.ClientId, tool.ClientSecret, "password")).AssertOAuthErrorAsync(HttpStatusCode.BadRequest, "unsupported_grant_type");
        }
        Assert.Equal(HttpStatusCode.OK, (await RequestTokenAsync(http, RealClient, tool.Client.ClientId, tool.ClientSecret)).StatusCode);
    }

    [Fact]
    public async Task AToolsFailedExchangesDoNotCountAgainstItsClient()
    {
        await using var limited = Limited(perAddress: 100, perClient: 1);
        var tool = await limited.CreateClientAsync(["oakwood-primary"], [Scopes.AttendanceRead]);
        var http = limited.CreateClient();

        for (var i = 0; i < 3; i++)
        {
            await (await ExchangeAsync(http, RealClient, tool.ClientSecret, GuessedApiToken)).AssertOAuthErrorAsync(HttpStatusCode.BadRequest, "invalid_grant");
        }

        Assert.Equal(HttpStatusCode.OK, (await RequestTokenAsync(http, RealClient, tool.Client.ClientId, tool.ClientSecret)).StatusCode);
        await (await ExchangeAsync(http, RealClient, tool.ClientSecret, GuessedApiToken)).AssertOAuthErrorAsync(HttpStatusCode.BadRequest, "invalid_grant");
    }

    private static Task<HttpResponseMessage> RequestTokenAsync(HttpClient http, string from, string clientId, string secret, string grantType = "client_credentials")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/oauth/token")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = grantType }),
        };
        request.Headers.Authorization = StatsApiFactory.BasicAuth(clientId, secret);
        // The trusted proxy names the address the request came from.
        request.Headers.Add("X-Forwarded-For", from);
        return http.SendAsync(request);
    }

    private static Task<HttpResponseMessage> ExchangeAsync(HttpClient http, string from, string clientSecret, string apiToken)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/oauth/token");
        request.Headers.TryAddWithoutValidation("client_secret", clientSecret);
        request.Headers.TryAddWithoutValidation("Authorization", $"Basic {apiToken}");
        request.Headers.Add("X-Forwarded-For", from);
        return http.SendAsync(request);
    }
}
