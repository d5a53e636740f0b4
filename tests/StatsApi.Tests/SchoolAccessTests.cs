using System.Net;
using System.Net.Http.Headers;
using System.Security.Claims;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using StatsApi.Tests.Infrastructure;
using StatsApi.Auth;
using StatsApi.Tokens;

namespace StatsApi.Tests;

public class SchoolAccessTests(StatsApiFactory app) : IClassFixture<StatsApiFactory>
{
    private static string Summary(string school) => $"/stats/v1/attendance/summary?school_id={school}&from=2026-09-01&to=2026-09-30";

    [Fact]
    public async Task AnApprovedSchoolIs200()
    {
        var client = await app.CreateClientForSchoolsAsync("oakwood-primary");
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(Summary("oakwood-primary"))).StatusCode);
    }

    [Fact]
    public async Task AnotherSchoolIs403SchoolNotApproved()
    {
        var client = await app.CreateClientForSchoolsAsync("oakwood-primary");

        var response = await client.GetAsync(Summary("ravenscroft-high"));

        await response.AssertProblemAsync(HttpStatusCode.Forbidden, "school_not_approved");
    }

    [Fact]
    public async Task AClientWithNoSchoolsSeesNone()
    {
        var client = await app.CreateClientForSchoolsAsync();
        await (await client.GetAsync(Summary("oakwood-primary"))).AssertProblemAsync(HttpStatusCode.Forbidden, "school_not_approved");
    }

    [Fact]
    public async Task ARepeatedSchoolIdCannotSmuggleInAnUnapprovedSchool()
    {
        var client = await app.CreateClientForSchoolsAsync("oakwood-primary");

        var response = await client.GetAsync(Summary("oakwood-primary") + "&school_id=ravenscroft-high");

        await response.AssertProblemAsync(HttpStatusCode.Forbidden, "school_not_approved");
    }

    [Fact]
    public async Task AnUnknownSchoolIsNotFoundOnlyWhenTheTokenNamesIt()
    {
        var token = await app.SignWithServiceKeyAsync(StatsApiFactory.ClientClaims("oakwood-primary", "closed-school"));
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);

        await (await client.GetAsync(Summary("closed-school"))).AssertProblemAsync(HttpStatusCode.NotFound, "school_not_found");
        await (await client.GetAsync(Summary("no-such-school"))).AssertProblemAsync(HttpStatusCode.Forbidden, "school_not_approved");
    }

    [Fact]
    public async Task ATokenWithoutTheReadScopeIs403InsufficientScope()
    {
        var credentials = await app.CreateClientAsync(["oakwood-primary"], [Scopes.LessonsWrite]);
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await app.GetTokenAsync(credentials));

        var response = await client.GetAsync(Summary("oakwood-primary"));

        await response.AssertProblemAsync(HttpStatusCode.Forbidden, "insufficient_scope");
        Assert.Contains("scope=\"attendance:read\"", response.Headers.WwwAuthenticate.Single().Parameter, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AForgedClaimSchoolsHeaderIsIgnoredWithoutATrustedGateway()
    {
        var client = await app.CreateClientForSchoolsAsync("oakwood-primary");
        client.DefaultRequestHeaders.Add("X-Claim-Schools", "ravenscroft-high");

        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync(Summary("ravenscroft-high"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(Summary("oakwood-primary"))).StatusCode);
    }

    [Fact]
    public async Task ATrustedGatewayHeaderNarrowsButNeverWidens()
    {
        var credentials = await app.CreateClientAsync(["oakwood-primary", "ravenscroft-high"]);
        var token = await app.GetTokenAsync(credentials);
        await using var behindGateway = app.CreateRestarted(new Dictionary<string, string?> { ["Auth:TrustGatewaySchoolsHeader"] = "true" });
        var client = behindGateway.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        client.DefaultRequestHeaders.Add("X-Claim-Schools", "oakwood-primary, lakeside-academy");

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(Summary("oakwood-primary"))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync(Summary("ravenscroft-high"))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync(Summary("lakeside-academy"))).StatusCode);
    }

    [Fact]
    public async Task TwoApprovedSchoolsInOneRequestAre400NamingSchoolId()
    {
        var client = await app.CreateClientForSchoolsAsync("oakwood-primary", "ravenscroft-high");

        var response = await client.GetAsync(Summary("oakwood-primary") + "&school_id=ravenscroft-high");

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        Assert.True(problem.GetProperty("errors").TryGetProperty("school_id", out _));
    }

    [Theory]
    [InlineData(nameof(SchoolSource.Route))]
    [InlineData(nameof(SchoolSource.Query))]
    public async Task AnOperationThatNamesNoSchoolFailsTheSchoolCheck(string sourceName)
    {
        var http = RequestTo(new SchoolScope(Enum.Parse<SchoolSource>(sourceName)));

        var result = await AuthorizeAsync(http);

        Assert.False(result.Succeeded);
        Assert.Null(http.Features.Get<AuthorizedSchool>());
    }

    [Fact]
    public async Task AnEndpointThatDoesNotSayWhereItsSchoolIsFailsTheSchoolCheck()
    {
        var http = RequestTo();
        http.Request.QueryString = new QueryString("?school_id=oakwood-primary");

        Assert.False((await AuthorizeAsync(http)).Succeeded);
    }

    [Fact]
    public async Task TheAuthorizedSchoolIsTheOneTheDeclaredSourceNamed()
    {
        var http = RequestTo(new SchoolScope(SchoolSource.Route));
        http.Request.RouteValues[SchoolScope.Parameter] = "oakwood-primary";
        // A query value is not where this endpoint's school comes from, and must not become it.
        http.Request.QueryString = new QueryString("?school_id=ravenscroft-high");

        Assert.True((await AuthorizeAsync(http)).Succeeded);
        Assert.Equal("oakwood-primary", http.Features.Get<AuthorizedSchool>()?.Id);
    }

    private DefaultHttpContext RequestTo(params object[] metadata)
    {
        var http = new DefaultHttpContext { RequestServices = app.Services };
        http.SetEndpoint(new Endpoint(null, new EndpointMetadataCollection(metadata), "test endpoint"));
        http.User = new ClaimsPrincipal(new ClaimsIdentity(
            [new Claim("schools", "oakwood-primary"), new Claim("schools", "ravenscroft-high")], "Bearer"));
        return http;
    }

    private Task<AuthorizationResult> AuthorizeAsync(HttpContext http) =>
        app.Services.GetRequiredService<IAuthorizationService>().AuthorizeAsync(http.User, http, new SchoolAccessRequirement());
}
