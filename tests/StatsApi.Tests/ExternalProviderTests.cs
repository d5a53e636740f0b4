using Microsoft.Extensions.Options;
using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using StatsApi.Tests.Infrastructure;
using StatsApi.Auth;
using StatsApi.Tokens;

namespace StatsApi.Tests;

/// <summary>
/// Tokens from an external OpenID provider, shaped as Keycloak and Entra ID issue them for client
/// credentials, validated against the provider's discovery document and JWKS fetched over HTTPS.
/// </summary>
public class ExternalProviderTests(StatsApiFactory app, TestOpenIdProvider provider, SharedHosts hosts)
    : IClassFixture<StatsApiFactory>, IClassFixture<TestOpenIdProvider>, IClassFixture<SharedHosts>
{
    private const string KeycloakRealm = "realms/schools";
    private const string EntraTenant = "3f6c1c1e-5d7e-4d43-9a55-0c2b1f1e7a11/v2.0";

    private static string Summary(string school) => $"/stats/v1/attendance/summary?school_id={school}&from=2026-09-01&to=2026-09-30";

    private StatsApiFactory ServiceTrusting(string issuerPath, params (string Key, string? Value)[] settings)
    {
        var issuer = provider.Issuer(issuerPath);
        var all = new Dictionary<string, string?>
        {
            ["Auth:Authority"] = issuer,
            ["Auth:Issuer"] = issuer,
            ["Tokens:Enabled"] = "false",
        };
        foreach (var (key, value) in settings)
        {
            all[key] = value;
        }
        return app.CreateRestarted(all).WithServices(provider.TrustFrom);
    }

    // Shared by the tests that use them: each only sends tokens to it.
    private StatsApiFactory KeycloakService() => hosts.Get(nameof(KeycloakService), () =>
        ServiceTrusting(KeycloakRealm, ("Auth:TokenTypes:0", "JWT"), ("Auth:SchoolsClaim", "school_ids")));

    private StatsApiFactory EntraService() => hosts.Get(nameof(EntraService), () =>
        ServiceTrusting(EntraTenant, ("Auth:TokenTypes:0", "JWT"), ("Auth:ScopeClaim", "roles"), ("Auth:SchoolsClaim", "extn.schools")));

    // A Keycloak service account's token with a hardcoded-claim mapper for the schools.
    private string KeycloakToken(params string[] schools) => provider.Sign(provider.Issuer(KeycloakRealm), new Dictionary<string, object>
    {
        ["jti"] = Guid.NewGuid().ToString(),
        ["sub"] = "5b0f3a52-8c1e-4f0e-9d6b-0f4b3f3c2a10",
        ["typ"] = "Bearer",
        ["azp"] = "district-dashboard",
        ["scope"] = "profile attendance:read email",
        ["clientHost"] = "10.0.0.12",
        ["preferred_username"] = "service-account-district-dashboard",
        ["school_ids"] = schools,
    });

    // An Entra ID app-only token: application permissions in roles, the client in azp (v2.0) or appid (v1.0).
    private string EntraToken(string clientClaim, IDictionary<string, object>? overrides = null)
    {
        var claims = new Dictionary<string, object>
        {
            ["aio"] = "k2BgYDi5Ybhn3/0MnvB7VfoQAA==",
            [clientClaim] = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
            ["azpacr"] = "1",
            ["oid"] = "7c1d9e4b-2a3f-4b5c-8d6e-1f2a3b4c5d6e",
            ["roles"] = new[] { "attendance:read" },
            ["sub"] = "7c1d9e4b-2a3f-4b5c-8d6e-1f2a3b4c5d6e",
            ["tid"] = "3f6c1c1e-5d7e-4d43-9a55-0c2b1f1e7a11",
            ["ver"] = clientClaim == "azp" ? "2.0" : "1.0",
            ["extn.schools"] = new[] { "oakwood-primary" },
        };
        foreach (var (key, value) in overrides ?? new Dictionary<string, object>())
        {
            claims[key] = value;
        }
        return provider.Sign(provider.Issuer(EntraTenant), claims);
    }

    private static async Task<HttpResponseMessage> GetAsync(StatsApiFactory service, string token, string school = "oakwood-primary")
    {
        var client = service.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await client.GetAsync(Summary(school));
    }

    [Fact]
    public async Task AKeycloakTokenReadsItsSchoolAndIsRefusedAnother()
    {
        var service = KeycloakService();
        var token = KeycloakToken("oakwood-primary");

        Assert.Equal(HttpStatusCode.OK, (await GetAsync(service, token)).StatusCode);
        await (await GetAsync(service, token, "ravenscroft-high")).AssertProblemAsync(HttpStatusCode.Forbidden, "school_not_approved");
    }

    [Theory]
    [InlineData("azp")]
    [InlineData("appid")]
    public async Task AnEntraIdTokenWithPermissionsInRolesReadsItsSchoolAndIsRefusedAnother(string clientClaim)
    {
        var service = EntraService();
        var token = EntraToken(clientClaim);

        Assert.Equal(HttpStatusCode.OK, (await GetAsync(service, token)).StatusCode);
        await (await GetAsync(service, token, "ravenscroft-high")).AssertProblemAsync(HttpStatusCode.Forbidden, "school_not_approved");
    }

    [Fact]
    public async Task WithoutConfiguredTokenTypesAProvidersTypJwtTokenIsRefused()
    {
        await using var service = ServiceTrusting(KeycloakRealm, ("Auth:SchoolsClaim", "school_ids"));

        var problem = await (await GetAsync(service, KeycloakToken("oakwood-primary"))).AssertProblemAsync(HttpStatusCode.Unauthorized, "invalid_token");

        Assert.Contains("typ header", problem.GetProperty("developer_message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ScopesAndSchoolsInClaimsOtherThanTheConfiguredOnesGrantNothing()
    {
        var service = EntraService();
        string[] otherRole = [Scopes.SchoolsRead];
        string[] noSchools = [];
        string[] school = ["oakwood-primary"];
        var scopeElsewhere = EntraToken("azp", new Dictionary<string, object>
        {
            ["roles"] = otherRole,
            ["scope"] = "attendance:read",
            ["scp"] = "attendance:read",
        });
        var schoolsElsewhere = EntraToken("azp", new Dictionary<string, object>
        {
            ["extn.schools"] = noSchools,
            ["schools"] = school,
        });

        await (await GetAsync(service, scopeElsewhere)).AssertProblemAsync(HttpStatusCode.Forbidden, "insufficient_scope");
        await (await GetAsync(service, schoolsElsewhere)).AssertProblemAsync(HttpStatusCode.Forbidden, "school_not_approved");
    }

    [Theory]
    [InlineData("roles", "\"attendance:read\"")]
    [InlineData("roles", "[\"schools:read attendance:read\"]")]
    [InlineData("roles", "[[\"attendance:read\"]]")]
    [InlineData("extn.schools", "\"oakwood-primary\"")]
    [InlineData("extn.schools", "[\"oakwood-primary\", 7]")]
    public async Task ConfiguredClaimsOfTheWrongShapeAre401(string claim, string json)
    {
        var service = EntraService();
        var token = EntraToken("azp", new Dictionary<string, object> { [claim] = System.Text.Json.JsonDocument.Parse(json).RootElement.Clone() });

        var problem = await (await GetAsync(service, token)).AssertProblemAsync(HttpStatusCode.Unauthorized, "invalid_token");

        Assert.Contains($"The {claim} claim must be an array", problem.GetProperty("developer_message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithAnExternalProviderTheServicesOwnKeysNoLongerValidate()
    {
        var service = KeycloakService();
        var claims = StatsApiFactory.ClientClaims("oakwood-primary");
        claims["school_ids"] = new[] { "oakwood-primary" };
        var token = await app.SignWithServiceKeyAsync(claims, tokenType: "JWT", issuer: provider.Issuer(KeycloakRealm));

        await (await GetAsync(service, token)).AssertProblemAsync(HttpStatusCode.Unauthorized, "invalid_token");
    }

    [Fact]
    public async Task AProviderWhoseCertificateTheServiceDoesNotTrustValidatesNothing()
    {
        var issuer = provider.Issuer(KeycloakRealm);
        await using var service = app.CreateRestarted(new Dictionary<string, string?>
        {
            ["Auth:Authority"] = issuer,
            ["Auth:Issuer"] = issuer,
            ["Auth:TokenTypes:0"] = "JWT",
            ["Auth:SchoolsClaim"] = "school_ids",
        });

        await (await GetAsync(service, KeycloakToken("oakwood-primary"))).AssertProblemAsync(HttpStatusCode.Unauthorized, "invalid_token");
    }

    [Theory]
    [InlineData("Auth:ScopeClaim", "permissions")]
    [InlineData("Auth:SchoolsClaim", "schools\", error=\"forged")]
    [InlineData("Auth:TokenTypes:0", "")]
    public void AClaimSettingTheServiceCannotUseStopsItsStart(string key, string value)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { [key] = value });
        builder.AddStatsApiAuth();
        using var services = builder.Services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<AuthOptions>>().Value);

        Assert.Contains(error.Failures, f => f.StartsWith(string.Join(':', key.Split(':').Take(2)), StringComparison.Ordinal));
    }
}
