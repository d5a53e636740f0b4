using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using StatsApi.Tests.Infrastructure;
using StatsApi.Clients;
using StatsApi.Tokens;

namespace StatsApi.Tests;

public class TokenEndpointTests(StatsApiFactory app) : IClassFixture<StatsApiFactory>
{
    private const string Summary = "/stats/v1/attendance/summary?school_id=oakwood-primary&from=2026-09-01&to=2026-09-30";

    private static FormUrlEncodedContent Form(params (string Key, string Value)[] fields) =>
        new(fields.Select(f => KeyValuePair.Create(f.Key, f.Value)));

    private async Task<HttpResponseMessage> PostBasicAsync(string path, ClientCredentials credentials, HttpContent content, string? secret = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
        request.Headers.Authorization = StatsApiFactory.BasicAuth(credentials.Client.ClientId, secret ?? credentials.ClientSecret);
        return await app.CreateClient().SendAsync(request);
    }

    [Fact]
    public async Task ClientCredentialsWithBasicAuthGetASignedAccessTokenThatIsNeverCached()
    {
        var credentials = await app.CreateClientAsync(["oakwood-primary", "ravenscroft-high"]);

        var response = await PostBasicAsync("/oauth/token", credentials, Form(("grant_type", "client_credentials")));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        var body = await response.JsonAsync();
        Assert.Equal("Bearer", body.GetProperty("token_type").GetString());
        Assert.Equal(3600, body.GetProperty("expires_in").GetInt32());
        Assert.Equal("attendance:read", body.GetProperty("scope").GetString());
        Assert.False(body.TryGetProperty("refresh_token", out _));

        var jwt = new JsonWebToken(body.GetProperty("access_token").GetString());
        Assert.Equal("at+jwt", jwt.Typ);
        Assert.Equal("ES256", jwt.Alg);
        Assert.False(string.IsNullOrEmpty(jwt.Kid));
        Assert.Equal(StatsApiFactory.Issuer, jwt.Issuer);
        Assert.Equal([StatsApiFactory.Audience], jwt.Audiences);
        Assert.Equal(credentials.Client.ClientId, jwt.Subject);
        Assert.Equal(credentials.Client.ClientId, jwt.GetClaim("client_id").Value);
        Assert.Equal("standard", jwt.GetClaim("tier").Value);
        Assert.Equal(["oakwood-primary", "ravenscroft-high"], jwt.Claims.Where(c => c.Type == "schools").Select(c => c.Value));
        foreach (var claim in new[] { "iat", "nbf", "exp", "jti", "scope" })
        {
            Assert.True(jwt.TryGetClaim(claim, out _), $"missing {claim}");
        }
        Assert.Equal(3600, (jwt.ValidTo - jwt.ValidFrom).TotalSeconds);
    }

    [Fact]
    public async Task ClientCredentialsInAFormOrJsonBodyAreAccepted()
    {
        var credentials = await app.CreateClientAsync(["oakwood-primary"]);
        var client = app.CreateClient();

        var form = await client.PostAsync("/oauth/token", Form(
            ("grant_type", "client_credentials"), ("client_id", credentials.Client.ClientId), ("client_secret", credentials.ClientSecret)));
        var json = await client.PostAsJsonAsync("/oauth/token", new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = credentials.Client.ClientId,
            ["client_secret"] = credentials.ClientSecret,
            ["audience"] = StatsApiFactory.Audience,
        });

        Assert.Equal(HttpStatusCode.OK, form.StatusCode);
        Assert.Equal(HttpStatusCode.OK, json.StatusCode);
    }

    [Fact]
    public async Task EdxTokenEndpointGivesAJwtTokenTypeUsableWithTheJwtScheme()
    {
        var credentials = await app.CreateClientAsync(["oakwood-primary"]);
        var response = await app.CreateClient().PostAsync("/oauth2/v1/access_token", Form(
            ("grant_type", "client_credentials"), ("client_id", credentials.Client.ClientId),
            ("client_secret", credentials.ClientSecret), ("token_type", "jwt")));
        var body = await response.JsonAsync();
        Assert.Equal("JWT", body.GetProperty("token_type").GetString());

        var client = app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("JWT", body.GetProperty("access_token").GetString());
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(Summary)).StatusCode);
    }

    [Fact]
    public async Task WrongSecretWithBasicAuthIs401InvalidClientWithABasicChallenge()
    {
        var credentials = await app.CreateClientAsync(["oakwood-primary"]);

        var response = await PostBasicAsync("/oauth/token", credentials, Form(("grant_type", "client_credentials")), secret: new string('x', 40));

        await response.AssertOAuthErrorAsync(HttpStatusCode.Unauthorized, "invalid_client");
        Assert.Equal("Basic", response.Headers.WwwAuthenticate.Single().Scheme);
    }

    [Fact]
    public async Task UnknownClientAndMissingCredentialsAreInvalidClient()
    {
        var client = app.CreateClient();
        var unknown = await client.PostAsync("/oauth/token", Form(
            ("grant_type", "client_credentials"), ("client_id", new string('A', 32)), ("client_secret", new string('b', 40))));
        var none = await client.PostAsync("/oauth/token", Form(("grant_type", "client_credentials")));

        await unknown.AssertOAuthErrorAsync(HttpStatusCode.Unauthorized, "invalid_client");
        await none.AssertOAuthErrorAsync(HttpStatusCode.Unauthorized, "invalid_client");
    }

    [Fact]
    public async Task MalformedCredentialsAreInvalidClientOrInvalidRequestNeverAServerError()
    {
        var client = app.CreateClient();
        using var nul = new HttpRequestMessage(HttpMethod.Post, "/oauth/token") { Content = Form(("grant_type", "client_credentials")) };
        nul.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String("a%00:b"u8.ToArray()));
        var longId = await client.PostAsync("/oauth/token", Form(
            ("grant_type", "client_credentials"), ("client_id", new string('a', 10_000)), ("client_secret", "x")));
        var loneSurrogate = await client.PostAsync("/oauth/token", new StringContent(
            """{"grant_type":"client_credentials","client_id":"\ud800","client_secret":"x"}""", System.Text.Encoding.UTF8, "application/json"));

        await (await client.SendAsync(nul)).AssertOAuthErrorAsync(HttpStatusCode.Unauthorized, "invalid_client");
        await longId.AssertOAuthErrorAsync(HttpStatusCode.Unauthorized, "invalid_client");
        await loneSurrogate.AssertOAuthErrorAsync(HttpStatusCode.BadRequest, "invalid_request");
    }

    [Fact]
    public async Task AGrantOtherThanClientCredentialsIsUnsupportedGrantType()
    {
        var credentials = await app.CreateClientAsync(["oakwood-primary"]);

        var response = await PostBasicAsync("/oauth/token", credentials, Form(("grant_type", "password"), ("username", "u"), ("password", "p")));

        await response.AssertOAuthErrorAsync(HttpStatusCode.BadRequest, "unsupported_grant_type");
    }

    [Fact]
    public async Task MissingGrantTypeAndUnreadableBodiesAreInvalidRequest()
    {
        var credentials = await app.CreateClientAsync(["oakwood-primary"]);

        var missing = await PostBasicAsync("/oauth/token", credentials, Form(("scope", "attendance:read")));
        var badJson = await PostBasicAsync("/oauth/token", credentials, new StringContent("{not json", System.Text.Encoding.UTF8, "application/json"));
        var plainText = await PostBasicAsync("/oauth/token", credentials, new StringContent("grant_type=client_credentials"));

        var tooManyFields = await PostBasicAsync("/oauth/token", credentials,
            Form([("grant_type", "client_credentials"), .. Enumerable.Range(0, 2000).Select(i => ($"f{i}", "x"))]));

        await missing.AssertOAuthErrorAsync(HttpStatusCode.BadRequest, "invalid_request");
        await tooManyFields.AssertOAuthErrorAsync(HttpStatusCode.BadRequest, "invalid_request");
        await badJson.AssertOAuthErrorAsync(HttpStatusCode.BadRequest, "invalid_request");
        await plainText.AssertOAuthErrorAsync(HttpStatusCode.BadRequest, "invalid_request");
    }

    [Fact]
    public async Task ARepeatedParameterIsInvalidRequestNamingItInJsonAsInAForm()
    {
        var credentials = await app.CreateClientAsync(["oakwood-primary"], [Scopes.AttendanceRead, Scopes.SchoolsRead]);

        var json = await PostBasicAsync("/oauth/token", credentials, new StringContent(
            """{"grant_type":"client_credentials","scope":"attendance:read","scope":"schools:read"}""", System.Text.Encoding.UTF8, "application/json"));
        var form = await PostBasicAsync("/oauth/token", credentials,
            Form(("grant_type", "client_credentials"), ("scope", "attendance:read"), ("scope", "schools:read")));

        foreach (var response in new[] { json, form })
        {
            var error = await response.AssertOAuthErrorAsync(HttpStatusCode.BadRequest, "invalid_request");
            Assert.Contains("'scope'", error.GetProperty("error_description").GetString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task ABodyOverKestrelsLimitIs413WithAnOAuthErrorWhetherItsLengthIsDeclaredOrNot()
    {
        // On real Kestrel the test client connects from loopback: that is the proxy here.
        await using var kestrel = app.CreateRestarted(new Dictionary<string, string?> { ["Http:TrustedProxies:0"] = "127.0.0.1" });
        kestrel.UseKestrel(0);
        using var started = kestrel.CreateClient();
        using var client = EarlyAnswerClient.Create(started.BaseAddress!);
        var padding = new string('x', 2 * 1024 * 1024);
        var formBody = $"grant_type=client_credentials&padding={padding}";

        var form = await client.PostAsync("/oauth/token", SlowUpload.Of(formBody, "application/x-www-form-urlencoded"));
        var json = await client.PostAsync("/oauth/token", SlowUpload.Of(
            $$"""{"grant_type":"client_credentials","padding":"{{padding}}"}""", "application/json"));
        // Chunked: no Content-Length for Kestrel to refuse up front, so the limit trips while the body is read.
        using var streamed = new HttpRequestMessage(HttpMethod.Post, "/oauth/token") { Content = SlowUpload.Of(formBody, "application/x-www-form-urlencoded") };
        streamed.Headers.TransferEncodingChunked = true;
        var unknownLength = await client.SendAsync(streamed);

        foreach (var response in new[] { form, json, unknownLength })
        {
            await response.AssertOAuthErrorAsync(HttpStatusCode.RequestEntityTooLarge, "invalid_request");
        }
    }

    [Fact]
    public async Task AScopeTheClientWasNotGrantedIsInvalidScope()
    {
        var credentials = await app.CreateClientAsync(["oakwood-primary"]);

        var response = await PostBasicAsync("/oauth/token", credentials, Form(("grant_type", "client_credentials"), ("scope", "attendance:read admin")));

        await response.AssertOAuthErrorAsync(HttpStatusCode.BadRequest, "invalid_scope");
    }

    [Fact]
    public async Task AForeignAudienceIsInvalidTarget()
    {
        var credentials = await app.CreateClientAsync(["oakwood-primary"]);

        var response = await PostBasicAsync("/oauth/token", credentials, Form(("grant_type", "client_credentials"), ("audience", "https://other.example")));

        await response.AssertOAuthErrorAsync(HttpStatusCode.BadRequest, "invalid_target");
    }

    [Fact]
    public async Task ARevokedClientCanNoLongerGetAToken()
    {
        var credentials = await app.CreateClientAsync(["oakwood-primary"]);
        Assert.NotNull(await app.GetTokenAsync(credentials));

        await app.Services.GetRequiredService<ApiClients>().RevokeAsync(credentials.Client.ClientId);
        var response = await PostBasicAsync("/oauth/token", credentials, Form(("grant_type", "client_credentials")));

        await response.AssertOAuthErrorAsync(HttpStatusCode.Unauthorized, "invalid_client");
    }

    [Fact]
    public async Task ARotatedSecretReplacesTheOldOneAtOnce()
    {
        var credentials = await app.CreateClientAsync(["oakwood-primary"]);

        var rotated = await app.Services.GetRequiredService<ApiClients>().RotateSecretAsync(credentials.Client.ClientId);
        var withOld = await PostBasicAsync("/oauth/token", credentials, Form(("grant_type", "client_credentials")));
        var withNew = await PostBasicAsync("/oauth/token", rotated!, Form(("grant_type", "client_credentials")));

        await withOld.AssertOAuthErrorAsync(HttpStatusCode.Unauthorized, "invalid_client");
        Assert.Equal(HttpStatusCode.OK, withNew.StatusCode);
    }

    [Fact]
    public async Task SecretsAreStoredOnlyAsHashes()
    {
        var credentials = await app.CreateClientAsync(["oakwood-primary"]);
        Assert.Matches("^[A-Za-z0-9]{32}$", credentials.Client.ClientId);
        Assert.Matches("^[A-Za-z0-9]{40}$", credentials.ClientSecret);

        await using var connection = await app.DataSource.OpenConnectionAsync();
        await using var command = new Npgsql.NpgsqlCommand("select row_to_json(c)::text from api_clients c where client_id = $1", connection)
        {
            Parameters = { new() { Value = credentials.Client.ClientId } },
        };
        var row = (string)(await command.ExecuteScalarAsync())!;
        Assert.DoesNotContain(credentials.ClientSecret, row, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DiscoveryPointsToAJwksWithPublicKeysOnly()
    {
        var client = app.CreateClient();
        var metadata = await (await client.GetAsync("/.well-known/openid-configuration")).JsonAsync();
        Assert.Equal(StatsApiFactory.Issuer, metadata.GetProperty("issuer").GetString());
        Assert.Equal($"{StatsApiFactory.Issuer}/.well-known/jwks.json", metadata.GetProperty("jwks_uri").GetString());
        Assert.Equal($"{StatsApiFactory.Issuer}/oauth/token", metadata.GetProperty("token_endpoint").GetString());

        var jwks = await (await client.GetAsync("/.well-known/jwks.json")).JsonAsync();
        var keys = jwks.GetProperty("keys").EnumerateArray().ToList();
        Assert.NotEmpty(keys);
        foreach (var key in keys)
        {
            var members = key.EnumerateObject().Select(p => p.Name).ToHashSet();
            Assert.Empty(members.Intersect(["d", "p", "q", "dp", "dq", "qi", "oth", "k"]));
            Assert.Equal("sig", key.GetProperty("use").GetString());
        }
    }

    [Fact]
    public async Task DiscoveryAdvertisesOnlyWhatTheServiceImplements()
    {
        var client = app.CreateClient();
        var openId = await (await client.GetAsync("/.well-known/openid-configuration")).Content.ReadAsStringAsync();
        var oauth = await (await client.GetAsync("/.well-known/oauth-authorization-server")).Content.ReadAsStringAsync();
        Assert.Equal(oauth, openId);

        var metadata = JsonDocument.Parse(oauth).RootElement;
        Assert.Equal(
            ["grant_types_supported", "issuer", "jwks_uri", "response_types_supported", "scopes_supported", "service_documentation", "token_endpoint", "token_endpoint_auth_methods_supported"],
            metadata.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.Equal(JsonValueKind.Array, metadata.GetProperty("response_types_supported").ValueKind);
        Assert.Empty(metadata.GetProperty("response_types_supported").EnumerateArray());
        Assert.Equal(["client_credentials"], metadata.GetProperty("grant_types_supported").EnumerateArray().Select(g => g.GetString()));
        Assert.Equal(["client_secret_basic", "client_secret_post"], metadata.GetProperty("token_endpoint_auth_methods_supported").EnumerateArray().Select(m => m.GetString()));
        Assert.Equal(Scopes.All.Order(StringComparer.Ordinal), metadata.GetProperty("scopes_supported").EnumerateArray().Select(s => s.GetString()!));
    }

    [Fact]
    public async Task AnOpenIdConfigurationReaderFindsTheIssuerAndTheSigningKeys()
    {
        var retriever = new HttpDocumentRetriever(app.CreateClient()) { RequireHttps = false };
        var address = new Uri(app.Server.BaseAddress, "/.well-known/openid-configuration").ToString();

        var configuration = await OpenIdConnectConfigurationRetriever.GetAsync(address, retriever, CancellationToken.None);

        Assert.Equal(StatsApiFactory.Issuer, configuration.Issuer);
        Assert.Equal($"{StatsApiFactory.Issuer}/oauth/token", configuration.TokenEndpoint);
        Assert.NotEmpty(configuration.SigningKeys);
        Assert.Empty(configuration.ResponseTypesSupported);
        Assert.Empty(configuration.IdTokenSigningAlgValuesSupported);
    }
}
