using System.Net;
using System.Net.Http.Headers;
using StatsApi.Tests.Infrastructure;

namespace StatsApi.Tests;

/// <summary>Open edX services get tokens with edx-rest-api-client, given nothing but the service's base URL.</summary>
public class OpenEdxClientTests(StatsApiFactory app) : IClassFixture<StatsApiFactory>
{
    private const string Summary = "/stats/v1/attendance/summary?school_id=oakwood-primary&from=2026-09-01&to=2026-09-30";

    // edx-rest-api-client's get_oauth_access_token: the form it posts, to the path it derives from the base URL,
    // then the token as 'Authorization: JWT <token>' (SuppliedJwtAuth).
    [Theory]
    [InlineData("/oauth2/access_token")]
    [InlineData("/oauth2/access_token/")]
    [InlineData("/oauth2/v1/access_token")]
    public async Task TheOpenEdxClientGetsATokenFromTheBaseUrlAndCallsWithIt(string path)
    {
        var credentials = await app.CreateClientAsync(["oakwood-primary"]);
        using var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "client_credentials",
                ["client_id"] = credentials.Client.ClientId,
                ["client_secret"] = credentials.ClientSecret,
                ["token_type"] = "jwt",
            }),
        };
        request.Headers.UserAgent.ParseAdd("python-requests/2.32.3 edx-rest-api-client/6.2.0 lms");
        var client = app.CreateClient();

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.JsonAsync();
        Assert.Equal("JWT", body.GetProperty("token_type").GetString());
        Assert.True(body.GetProperty("expires_in").GetInt32() > 0);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("JWT", body.GetProperty("access_token").GetString());
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(Summary)).StatusCode);
    }

    [Fact]
    public async Task TheOpenEdxPathRefusesAWrongSecretAsTheOtherTokenEndpointsDo()
    {
        var credentials = await app.CreateClientAsync(["oakwood-primary"]);
        var response = await app.CreateClient().PostAsync("/oauth2/access_token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = credentials.Client.ClientId,
            ["client_secret"] = new string('x', 40),
            ["token_type"] = "jwt",
        }));

        await response.AssertOAuthErrorAsync(HttpStatusCode.Unauthorized, "invalid_client");
    }
}
