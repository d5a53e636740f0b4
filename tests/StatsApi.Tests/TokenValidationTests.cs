using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using StatsApi.Tests.Infrastructure;

namespace StatsApi.Tests;

/// <summary>Attacks on the resource server's token validation: each must end in 401 (or 403), never 200 or 500.</summary>
public class TokenValidationTests(StatsApiFactory app) : IClassFixture<StatsApiFactory>
{
    private const string Summary = "/stats/v1/attendance/summary?school_id=oakwood-primary&from=2026-09-01&to=2026-09-30";

    private async Task<HttpResponseMessage> GetSummaryAsync(string? authorization)
    {
        var client = app.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, Summary);
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }
        return await client.SendAsync(request);
    }

    /// <summary>A 401 whose body and challenge name the kind of failure in the service's own words.</summary>
    private async Task AssertRejectedAsync(string token, string reason, string errorCode = "invalid_token")
    {
        var response = await GetSummaryAsync("Bearer " + token);
        await AssertRefusalSaysAsync(response, reason, errorCode);
    }

    private static async Task AssertRefusalSaysAsync(HttpResponseMessage response, string reason, string errorCode = "invalid_token")
    {
        var body = await response.Content.ReadAsStringAsync();
        var problem = await response.AssertProblemAsync(HttpStatusCode.Unauthorized, errorCode);
        var challenge = response.Headers.WwwAuthenticate.Single();
        Assert.Equal("Bearer", challenge.Scheme);
        Assert.Contains("error=\"invalid_token\"", challenge.Parameter, StringComparison.Ordinal);
        Assert.Equal("/stats/v1/attendance/summary", problem.GetProperty("instance").GetString());
        Assert.Contains(reason, problem.GetProperty("developer_message").GetString(), StringComparison.Ordinal);
        Assert.Contains(reason, challenge.Parameter, StringComparison.Ordinal);
        // IdentityModel's messages (IDX10214: ...) describe the service's validation internals.
        Assert.DoesNotContain("IDX", body, StringComparison.Ordinal);
    }

    private static string B64(string json) => Base64UrlEncoder.Encode(Encoding.UTF8.GetBytes(json));

    private static string B64(JsonElement json) => B64(json.GetRawText());

    private static string SignWithAttackerKey(ECDsa key, string kid, Dictionary<string, object>? headers = null) =>
        new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = StatsApiFactory.Issuer,
            Audience = StatsApiFactory.Audience,
            Expires = DateTime.UtcNow.AddMinutes(10),
            TokenType = "at+jwt",
            Claims = StatsApiFactory.ClientClaims("oakwood-primary"),
            AdditionalHeaderClaims = headers,
            SigningCredentials = new SigningCredentials(new ECDsaSecurityKey(key) { KeyId = kid }, SecurityAlgorithms.EcdsaSha256),
        });

    private async Task<string> ValidTokenAsync() => await app.SignWithServiceKeyAsync(StatsApiFactory.ClientClaims("oakwood-primary"));

    [Fact]
    public async Task AValidTokenForAnApprovedSchoolIsAccepted()
    {
        var response = await GetSummaryAsync("Bearer " + await ValidTokenAsync());
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task NoTokenIs401WithABareBearerChallenge()
    {
        var response = await GetSummaryAsync(null);

        await response.AssertProblemAsync(HttpStatusCode.Unauthorized, "missing_token");
        var challenge = response.Headers.WwwAuthenticate.Single();
        Assert.Equal("Bearer", challenge.Scheme);
        Assert.DoesNotContain("error=", challenge.Parameter ?? "", StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Bearer not-a-jwt")]
    [InlineData("Bearer a.b.c")]
    [InlineData("Bearer ")]
    [InlineData("Bearer eyJhbGciOiJFUzI1NiJ9")]
    public async Task MalformedTokensAre401(string authorization)
    {
        var response = await GetSummaryAsync(authorization);
        if (authorization.Trim() == "Bearer")
        {
            await response.AssertProblemAsync(HttpStatusCode.Unauthorized, "missing_token");
            return;
        }
        await AssertRefusalSaysAsync(response, "not a well-formed signed JWT");
    }

    [Fact]
    public async Task AnExpiredTokenIs401TokenExpired()
    {
        var token = await app.SignWithServiceKeyAsync(StatsApiFactory.ClientClaims("oakwood-primary"),
            notBefore: DateTime.UtcNow.AddHours(-2), expires: DateTime.UtcNow.AddMinutes(-2));

        await AssertRejectedAsync(token, "has expired", "token_expired");
    }

    [Fact]
    public async Task ATokenNotYetValidIs401()
    {
        var token = await app.SignWithServiceKeyAsync(StatsApiFactory.ClientClaims("oakwood-primary"),
            notBefore: DateTime.UtcNow.AddMinutes(5), expires: DateTime.UtcNow.AddMinutes(30));
        await AssertRejectedAsync(token, "not valid yet");
    }

    [Fact]
    public async Task ATokenSignedByAnotherKeyWithTheServicesKidIs401()
    {
        var kid = new JsonWebToken(await ValidTokenAsync()).Kid;
        using var attackerKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        await AssertRejectedAsync(SignWithAttackerKey(attackerKey, kid), "signature is missing or does not verify");
    }

    [Fact]
    public async Task ATokenCarryingItsOwnKeyInJwkOrJkuHeadersIs401()
    {
        using var attackerKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var publicKey = attackerKey.ExportParameters(false);
        var headers = new Dictionary<string, object>
        {
            ["jku"] = "https://attacker.example/jwks.json",
            ["jwk"] = new Dictionary<string, object>
            {
                ["kty"] = "EC",
                ["crv"] = "P-256",
                ["x"] = Base64UrlEncoder.Encode(publicKey.Q.X),
                ["y"] = Base64UrlEncoder.Encode(publicKey.Q.Y),
            },
        };

        await AssertRejectedAsync(SignWithAttackerKey(attackerKey, "attacker", headers), "matches the access token's kid");
    }

    [Fact]
    public async Task AnUnsignedAlgNoneTokenIs401()
    {
        var valid = new JsonWebToken(await ValidTokenAsync());
        var header = B64($$"""{"alg":"none","typ":"at+jwt","kid":"{{valid.Kid}}"}""");
        var payload = valid.EncodedPayload;

        await AssertRejectedAsync($"{header}.{payload}.", "signature is missing or does not verify");
        await AssertRejectedAsync($"{header}.{payload}", "not a well-formed signed JWT");
    }

    [Fact]
    public async Task AnHs256TokenSignedWithThePublicKeyIs401()
    {
        var valid = new JsonWebToken(await ValidTokenAsync());
        var jwks = await (await app.CreateClient().GetAsync("/.well-known/jwks.json")).JsonAsync();
        var publicKey = jwks.GetProperty("keys")[0];
        var header = B64($$"""{"alg":"HS256","typ":"at+jwt","kid":"{{valid.Kid}}"}""");
        var signingInput = $"{header}.{valid.EncodedPayload}";

        foreach (var secret in new[] { publicKey.GetRawText(), publicKey.GetProperty("x").GetString()! + publicKey.GetProperty("y").GetString() })
        {
            var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.ASCII.GetBytes(signingInput));
            await AssertRejectedAsync($"{signingInput}.{Base64UrlEncoder.Encode(mac)}", "signature is missing or does not verify");
        }
    }

    [Fact]
    public async Task AWrongAudienceIs401()
    {
        await AssertRejectedAsync(await app.SignWithServiceKeyAsync(StatsApiFactory.ClientClaims("oakwood-primary"), audience: "another-api"), "another audience");
    }

    [Fact]
    public async Task AWrongIssuerIs401()
    {
        await AssertRejectedAsync(await app.SignWithServiceKeyAsync(StatsApiFactory.ClientClaims("oakwood-primary"), issuer: "https://evil.example"), "issuer this service does not accept");
    }

    [Theory]
    [InlineData("JWT")]
    [InlineData("id_token+jwt")]
    [InlineData(null)]
    public async Task ATypOtherThanAtJwtIs401(string? typ)
    {
        await AssertRejectedAsync(await app.SignWithServiceKeyAsync(StatsApiFactory.ClientClaims("oakwood-primary"), tokenType: typ), "typ header");
    }

    [Fact]
    public async Task ATamperedPayloadIs401()
    {
        var valid = new JsonWebToken(await ValidTokenAsync());
        using var payload = JsonDocument.Parse(Base64UrlEncoder.DecodeBytes(valid.EncodedPayload));
        var claims = payload.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => (object)p.Value);
        claims["schools"] = new[] { "oakwood-primary", "ravenscroft-high", "lakeside-academy" };
        var tampered = B64(JsonSerializer.Serialize(claims));

        await AssertRejectedAsync($"{valid.EncodedHeader}.{tampered}.{valid.EncodedSignature}", "signature is missing or does not verify");
    }

    [Theory]
    [InlineData("\"oakwood-primary\"")]
    [InlineData("42")]
    [InlineData("{\"oakwood-primary\":true}")]
    [InlineData("[\"oakwood-primary\", 7]")]
    [InlineData("[[\"oakwood-primary\"]]")]
    public async Task ASchoolsClaimOfTheWrongJsonTypeIsRefusedNeverAServerError(string schoolsJson)
    {
        var claims = StatsApiFactory.ClientClaims();
        claims["schools"] = JsonDocument.Parse(schoolsJson).RootElement.Clone();
        var token = await app.SignWithServiceKeyAsync(claims);

        await AssertRejectedAsync(token, "The schools claim must be an array of strings.");
    }

    [Fact]
    public async Task ATokenNamingNoClientIs401()
    {
        var claims = StatsApiFactory.ClientClaims("oakwood-primary");
        claims.Remove("client_id");

        await AssertRejectedAsync(await app.SignWithServiceKeyAsync(claims), "The token names no client: client_id, azp or appid is required.");
    }

    [Fact]
    public async Task ARefusedTokenIsExplainedInTheLogButNeverCopiedThere()
    {
        var logs = new CapturedLogs();
        await using var logged = app.CreateRestarted(new Dictionary<string, string?> { ["Logging:LogLevel:StatsApi.Auth"] = "Information" })
            .WithServices(services => services.AddSingleton<ILoggerProvider>(logs));
        var forged = await app.SignWithServiceKeyAsync(StatsApiFactory.ClientClaims("oakwood-primary"), audience: "another-api");
        const string garbage = "c2VjcmV0LWxvb2tpbmctZ2FyYmFnZQ";
        var client = logged.CreateClient();

        foreach (var token in new[] { forged, garbage, $"{garbage}.{garbage}.{garbage}" })
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync(Summary)).StatusCode);
        }

        Assert.Contains(logs.Lines, line => line.Contains("wrong_audience", StringComparison.Ordinal) && line.Contains("IDX10214", StringComparison.Ordinal));
        Assert.Contains(logs.Lines, line => line.Contains("malformed", StringComparison.Ordinal));
        var forgedJwt = new JsonWebToken(forged);
        foreach (var secret in new[] { forgedJwt.EncodedPayload, forgedJwt.EncodedSignature, garbage })
        {
            Assert.DoesNotContain(logs.Lines, line => line.Contains(secret, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task AFortyKilobyteAuthorizationHeaderIsRefusedNeverAServerError()
    {
        var response = await GetSummaryAsync("Bearer " + new string('a', 40 * 1024));
        Assert.Contains(response.StatusCode, new[] { HttpStatusCode.Unauthorized, HttpStatusCode.RequestHeaderFieldsTooLarge });
        Assert.DoesNotContain("IDX", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ATokenFromTheTokenEndpointForAnotherAudienceConfigurationIsRefused()
    {
        var token = await app.GetTokenAsync(await app.CreateClientAsync(["oakwood-primary"]));
        await using var otherAudience = app.CreateRestarted(new Dictionary<string, string?> { ["Auth:Audience"] = "another-api" });
        var client = otherAudience.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);

        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync(Summary)).StatusCode);
    }
}
