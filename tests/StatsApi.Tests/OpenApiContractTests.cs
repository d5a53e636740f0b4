using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using StatsApi.Tests.Infrastructure;
using StatsApi.Tokens;

namespace StatsApi.Tests;

/// <summary>openapi.yaml at the repository root is the contract; the running service must serve exactly it.</summary>
public partial class OpenApiContractTests(StatsApiFactory app) : IClassFixture<StatsApiFactory>
{
    [Fact]
    public async Task TheServedDocumentMatchesTheContract()
    {
        var response = await app.CreateClient().GetAsync("/openapi/v1.yaml");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var served = (await response.Content.ReadAsStringAsync()).ReplaceLineEndings("\n").TrimEnd() + "\n";
        var path = Repository.PathOf("openapi.yaml");

        // scripts/update-openapi.sh sets this to accept a deliberate change of the API.
        if (Environment.GetEnvironmentVariable("STATSAPI_UPDATE_OPENAPI") == "1")
        {
            await File.WriteAllTextAsync(path, served);
        }

        var contract = File.Exists(path) ? (await File.ReadAllTextAsync(path)).ReplaceLineEndings("\n") : "";
        Assert.True(contract == served,
            "The service's OpenAPI document differs from openapi.yaml. If the change is deliberate, run scripts/update-openapi.sh and review the diff.");
    }

    [Fact]
    public async Task TheJsonDocumentIsOpenApi31WithEveryAuthorizeOption()
    {
        var document = await (await app.CreateClient().GetAsync("/openapi/v1.json")).JsonAsync();
        Assert.StartsWith("3.1", document.GetProperty("openapi").GetString(), StringComparison.Ordinal);
        var schemes = document.GetProperty("components").GetProperty("securitySchemes");
        Assert.Equal("bearer", schemes.GetProperty("bearer").GetProperty("scheme").GetString());
        Assert.Equal("/oauth/token", schemes.GetProperty("oauth2").GetProperty("flows").GetProperty("clientCredentials").GetProperty("tokenUrl").GetString());
        // A person's token: the API token for the exchange, and the client secret every request with its token sends.
        Assert.Equal("basic", schemes.GetProperty("apiToken").GetProperty("scheme").GetString());
        // What validators read: Open edX's 'JWT {token}' and the bare API token are no HTTP scheme they know.
        Assert.Equal("Authorization", schemes.GetProperty("jwt").GetProperty("name").GetString());
        Assert.Equal("Authorization", schemes.GetProperty("apiTokenBare").GetProperty("name").GetString());
        Assert.Equal("header", schemes.GetProperty("clientSecret").GetProperty("in").GetString());
        Assert.Equal("client_secret", schemes.GetProperty("clientSecret").GetProperty("name").GetString());
    }

    /// <summary>
    /// A proxy that validates calls against openapi.yaml passes every call the service takes: Open edX's
    /// 'Authorization: JWT {token}' on the resource operations, and the API-token exchange with the person's
    /// token bare or as a user name with an empty password on the token operations, each admitted by a
    /// requirement that names it (the token operations' anonymous one would admit anything).
    /// </summary>
    [Fact]
    public async Task TheContractAdmitsEveryFormOfCredentialsTheServiceTakes()
    {
        const string school = "oakwood-primary";
        var contract = ContractDocument.Load();
        var summary = contract["GetAttendanceSummary"];
        var token = await app.GetTokenAsync(await app.CreateClientAsync([school], [Scopes.AttendanceRead]));
        var edx = new Dictionary<string, string> { ["Authorization"] = $"JWT {token}" };
        using (var request = new HttpRequestMessage(HttpMethod.Get, $"/stats/v1/attendance/summary?school_id={school}&from=2026-09-01&to=2026-09-30"))
        {
            request.Headers.TryAddWithoutValidation("Authorization", edx["Authorization"]);
            Assert.Equal(HttpStatusCode.OK, (await app.CreateClient().SendAsync(request)).StatusCode);
        }
        Assert.Equal(["jwt"], contract.RequirementsAdmitting(summary, edx));

        // Every operation that takes a token takes it in Open edX's form wherever it takes it as a bearer token, a person's with its secret.
        foreach (var operation in contract.Operations.Where(o => !o.IsPublic))
        {
            var bearer = contract.RequirementsAdmitting(operation, new Dictionary<string, string> { ["Authorization"] = "Bearer t", ["client_secret"] = "s" });
            var jwt = contract.RequirementsAdmitting(operation, new Dictionary<string, string> { ["Authorization"] = "JWT t", ["client_secret"] = "s" });
            Assert.NotEmpty(bearer);
            Assert.Equal(bearer.Where(r => r.StartsWith("bearer", StringComparison.Ordinal)).Select(r => r.Replace("bearer", "jwt", StringComparison.Ordinal)),
                jwt.Where(r => r.StartsWith("jwt", StringComparison.Ordinal)));
        }

        // The API-token exchange, as tools send it and as HTTP clients make Basic of a user name with no password.
        var teacher = await app.CreateClientWithScopesAsync([school], Scopes.UsersWrite, Scopes.UsersRead);
        var tool = await app.CreateClientAsync([school], [Scopes.LessonsRead]);
        var teachers = await (await teacher.GetAsync($"/v1/schools/{school}/users?role=teacher&limit=1")).JsonAsync();
        var teacherId = teachers.GetProperty("data")[0].GetProperty("user_id").GetInt64();
        var created = await teacher.PostAsJsonAsync($"/v1/schools/{school}/users/{teacherId}/api-tokens", new { name = "Contract" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var apiToken = (await created.JsonAsync()).GetProperty("token").GetString()!;
        foreach (var (form, scheme) in new[] { (apiToken, "apiTokenBare"), (Convert.ToBase64String(Encoding.UTF8.GetBytes($"{apiToken}:")), "apiToken") })
        {
            var headers = new Dictionary<string, string> { ["Authorization"] = $"Basic {form}", ["client_secret"] = tool.ClientSecret };
            foreach (var path in new[] { "/oauth/token", "/oauth2/v1/access_token", "/oauth2/access_token" })
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, path);
                foreach (var (name, value) in headers)
                {
                    request.Headers.TryAddWithoutValidation(name, value);
                }
                var exchanged = await app.CreateClient().SendAsync(request);
                Assert.True(exchanged.StatusCode == HttpStatusCode.OK, $"{path} with {scheme}: {(int)exchanged.StatusCode} {await exchanged.Content.ReadAsStringAsync()}");
                Assert.Contains(scheme, contract.RequirementsAdmitting(contract.Operations.Single(o => o.Path == path && o.Method == "POST"), headers));
            }
        }

        // A token request's body: what the service takes, the contract's schema admits; null it refuses, as the service does.
        var body = $"{contract["IssueToken"].Location}/requestBody/content/application~1json/schema";
        foreach (var accepted in new[] { """{"grant_type":"client_credentials","scope":"lessons:read"}""", """{"scope":"lessons:read"}""", """{"grant_type":"urn:statsapi:grant-type:api-token"}""" })
        {
            Assert.Empty(contract.Validate(body, JsonNode.Parse(accepted)));
        }
        Assert.NotEmpty(contract.Validate(body, JsonNode.Parse("""{"grant_type":"client_credentials","scope":null}""")));
    }

    /// <summary>
    /// What an operation answers on success, its handler's result types declare (IEndpointMetadataProvider):
    /// no endpoint writes .Produces by hand, which could say something else. A problem that a handler's logic
    /// may answer (ProducesProblem) is still declared where the endpoint is mapped.
    /// </summary>
    [Fact]
    public void NoEndpointDeclaresItsAnswersByHand()
    {
        var source = Repository.PathOf("src/StatsApi");
        var byHand = Directory.EnumerateFiles(source, "*.cs", SearchOption.AllDirectories)
            .Where(file => !file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !file.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .SelectMany(file => File.ReadLines(file).Select((line, index) => (File: file, Number: index + 1, Line: line)))
            .Where(line => ProducesByHand().IsMatch(line.Line))
            .Select(line => $"{Path.GetRelativePath(source, line.File)}:{line.Number}: {line.Line.Trim()}")
            .ToList();
        Assert.Empty(byHand);
    }

    [GeneratedRegex(@"\.Produces\s*(<|\()")]
    private static partial Regex ProducesByHand();
}
