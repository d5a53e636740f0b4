using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using StatsApi.Clients;
using StatsApi.Tokens;

namespace StatsApi.Tests.Infrastructure;

public static class PersonSessions
{
    /// <summary>
    /// An HTTP client acting for the person through a teachers' tool: an API token made by the school's
    /// administering application, exchanged with the tool's secret, sent with that secret on every request.
    /// </summary>
    public static async Task<HttpClient> ActAsAsync(this StatsApiFactory app, string school, long userId, params string[] toolScopes) =>
        await app.ActAsAsync(school, userId, await app.CreateClientAsync([school], toolScopes.Length > 0 ? toolScopes : [.. Scopes.All.Where(s => s != Scopes.Admin)]));

    /// <summary>An HTTP client acting for the person through the given tool.</summary>
    internal static async Task<HttpClient> ActAsAsync(this StatsApiFactory app, string school, long userId, ClientCredentials tool)
    {
        var admin = await app.CreateClientWithScopesAsync([school], Scopes.UsersWrite);
        var created = await admin.PostAsJsonAsync($"/v1/schools/{school}/users/{userId}/api-tokens", new { name = "Tool" });
        created.EnsureSuccessStatusCode();
        var apiToken = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString()!;

        using var exchange = new HttpRequestMessage(HttpMethod.Post, "/oauth/token");
        exchange.Headers.TryAddWithoutValidation("client_secret", tool.ClientSecret);
        exchange.Headers.TryAddWithoutValidation("Authorization", $"Basic {apiToken}");
        var exchanged = await app.CreateClient().SendAsync(exchange);
        exchanged.EnsureSuccessStatusCode();
        var accessToken = (await exchanged.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("access_token").GetString()!;

        var client = app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        client.DefaultRequestHeaders.Add("client_secret", tool.ClientSecret);
        return client;
    }
}
