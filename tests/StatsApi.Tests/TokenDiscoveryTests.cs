using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using StatsApi.Tests.Infrastructure;

namespace StatsApi.Tests;

/// <summary>The two metadata documents, against what RFC 8414 requires and what their readers need (decision 0012).</summary>
public class TokenDiscoveryTests(StatsApiFactory app) : IClassFixture<StatsApiFactory>
{
    private const string OAuthPath = "/.well-known/oauth-authorization-server";
    private const string OpenIdPath = "/.well-known/openid-configuration";

    [Fact]
    public async Task TheAuthorizationServerMetadataHasEveryMemberRfc8414AsksOfThisServer()
    {
        var client = app.CreateClient();
        using var response = await client.GetAsync(OAuthPath);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var metadata = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

        // Section 2: issuer, an https URL without query or fragment; section 3.3: the one the document is published under.
        var issuer = new Uri(metadata.GetProperty("issuer").GetString()!);
        Assert.Equal(StatsApiFactory.Issuer, metadata.GetProperty("issuer").GetString());
        Assert.Equal("https", issuer.Scheme);
        Assert.True(issuer.Query.Length == 0 && issuer.Fragment.Length == 0);
        // REQUIRED unless only the implicit grant is supported.
        var tokenEndpoint = Url(metadata, "token_endpoint");
        // REQUIRED, even for a server without an authorization endpoint: present, and empty.
        Assert.Equal(JsonValueKind.Array, metadata.GetProperty("response_types_supported").ValueKind);
        Assert.Empty(metadata.GetProperty("response_types_supported").EnumerateArray());
        // authorization_endpoint is REQUIRED unless no grant type that uses it is supported; grant_types_supported
        // must then be present, or its default (authorization_code, implicit) would claim such grants.
        Assert.False(metadata.TryGetProperty("authorization_endpoint", out _));
        var grants = Strings(metadata, "grant_types_supported");
        Assert.Equal(["client_credentials"], grants);
        Assert.Empty(grants.Intersect(["authorization_code", "implicit"]));
        Assert.Equal(["client_secret_basic", "client_secret_post"], Strings(metadata, "token_endpoint_auth_methods_supported"));
        Assert.NotEmpty(Strings(metadata, "scopes_supported"));
        foreach (var member in metadata.EnumerateObject().Where(m => m.Name.EndsWith("_supported", StringComparison.Ordinal)))
        {
            Assert.All(member.Value.EnumerateArray(), value => Assert.Equal(JsonValueKind.String, value.ValueKind));
        }

        // Every URL it names is the service's, and answers.
        var jwks = await client.GetAsync(Url(metadata, "jwks_uri").PathAndQuery);
        Assert.Equal(HttpStatusCode.OK, jwks.StatusCode);
        Assert.NotEmpty((await jwks.JsonAsync()).GetProperty("keys").EnumerateArray());
        var credentials = await app.CreateClientAsync(["oakwood-primary"]);
        using var token = new HttpRequestMessage(HttpMethod.Post, tokenEndpoint.PathAndQuery)
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "client_credentials" }),
        };
        token.Headers.Authorization = StatsApiFactory.BasicAuth(credentials.Client.ClientId, credentials.ClientSecret);
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(token)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(Url(metadata, "service_documentation").PathAndQuery)).StatusCode);
    }

    [Fact]
    public async Task TheOpenIdPathServesTheSameMetadataAndClaimsNothingOfAnOpenIdProvider()
    {
        var client = app.CreateClient();
        var oauth = await (await client.GetAsync(OAuthPath)).Content.ReadAsStringAsync();
        var openId = await (await client.GetAsync(OpenIdPath)).Content.ReadAsStringAsync();

        Assert.Equal(oauth, openId);
        var metadata = JsonDocument.Parse(openId).RootElement;
        Assert.Empty(metadata.EnumerateObject().Select(m => m.Name).Intersect(
            ["authorization_endpoint", "userinfo_endpoint", "end_session_endpoint", "subject_types_supported",
             "id_token_signing_alg_values_supported", "claims_supported", "acr_values_supported"]));
        Assert.DoesNotContain("openid", Strings(metadata, "scopes_supported"));
    }

    [Fact]
    public async Task AspNetCoreJwtBearerWithTheServiceAsAuthorityAcceptsItsTokens()
    {
        // A resource server of someone else's, configured the way ASP.NET Core's documentation shows: Authority and Audience.
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseTestServer();
        builder.Services.AddAuthentication().AddJwtBearer(o =>
        {
            o.Authority = StatsApiFactory.Issuer;
            o.Audience = StatsApiFactory.Audience;
            o.MapInboundClaims = false;
            o.BackchannelHttpHandler = app.Server.CreateHandler();
        });
        builder.Services.AddAuthorization();
        await using var resourceServer = builder.Build();
        resourceServer.MapGet("/whoami", (HttpContext http) => http.User.FindFirst("client_id")?.Value).RequireAuthorization();
        await resourceServer.StartAsync();
        var credentials = await app.CreateClientAsync(["oakwood-primary"]);
        var client = resourceServer.GetTestClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await app.GetTokenAsync(credentials));

        using var response = await client.GetAsync("/whoami");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(credentials.Client.ClientId, await response.Content.ReadAsStringAsync());
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await app.SignWithServiceKeyAsync(
            StatsApiFactory.ClientClaims("oakwood-primary"), issuer: "https://someone-else.test"));
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/whoami")).StatusCode);
    }

    private static Uri Url(JsonElement metadata, string member)
    {
        var url = new Uri(metadata.GetProperty(member).GetString()!);
        Assert.Equal(new Uri(StatsApiFactory.Issuer).GetLeftPart(UriPartial.Authority), url.GetLeftPart(UriPartial.Authority));
        return url;
    }

    private static List<string> Strings(JsonElement metadata, string member) =>
        metadata.GetProperty(member).EnumerateArray().Select(v => v.GetString()!).ToList();
}
