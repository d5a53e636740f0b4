using System.Net;
using StatsApi.Tests.Infrastructure;

namespace StatsApi.Tests;

/// <summary>openapi.yaml at the repository root is the contract; the running service must serve exactly it.</summary>
public class OpenApiContractTests(StatsApiFactory app) : IClassFixture<StatsApiFactory>
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
        Assert.Equal("header", schemes.GetProperty("clientSecret").GetProperty("in").GetString());
        Assert.Equal("client_secret", schemes.GetProperty("clientSecret").GetProperty("name").GetString());
    }
}
