using System.Globalization;
using System.Net.Http.Headers;
using StatsApi.Clients;
using StatsApi.Tokens;

namespace StatsApi.Tests.Infrastructure;

/// <summary>Small quotas and short windows, so that rate-limit tests reach them in a few requests and seconds.</summary>
public static class RateLimitSettings
{
    public static Dictionary<string, string?> Of(int windowSeconds, params (string Tier, int Requests, int Cost)[] tiers)
    {
        var settings = new Dictionary<string, string?> { ["RateLimits:WindowSeconds"] = windowSeconds.ToString(CultureInfo.InvariantCulture) };
        foreach (var (tier, requests, cost) in tiers)
        {
            settings[$"RateLimits:Tiers:{tier}:Requests"] = requests.ToString(CultureInfo.InvariantCulture);
            settings[$"RateLimits:Tiers:{tier}:Cost"] = cost.ToString(CultureInfo.InvariantCulture);
        }
        return settings;
    }

    public static Dictionary<string, string?> With(this Dictionary<string, string?> settings, string key, string? value)
    {
        settings[key] = value;
        return settings;
    }

    /// <summary>A new client of the tier for the school, reading the school and its attendance, and an HTTP client with its token.</summary>
    internal static async Task<(ClientCredentials Credentials, HttpClient Http)> ClientOfTierAsync(this StatsApiFactory app, string tier, string school)
    {
        var credentials = await app.CreateClientAsync([school], [Scopes.SchoolsRead, Scopes.AttendanceRead], tier);
        var http = app.CreateClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await app.GetTokenAsync(credentials));
        return (credentials, http);
    }

    public static string Header(this HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(", ", values) : "";
}
