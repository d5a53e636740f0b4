using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.Mvc.Testing.Handlers;

namespace StatsApi.Tests.Infrastructure;

/// <summary>A browser's part in the portal without a browser: cookies kept, forms posted with the token the page carries.</summary>
public sealed partial class PortalSession : IDisposable
{
    private readonly CookieContainerHandler _cookies = new();

    public PortalSession(WebApplicationFactory<Program> app)
    {
        // https, so the Secure cookies the portal sets come back as a browser would send them.
        Http = app.CreateDefaultClient(new Uri("https://localhost"), _cookies);
    }

    public HttpClient Http { get; }

    /// <summary>The cookies this browser holds, as a Cookie header sends them: for another browser to replay.</summary>
    public IEnumerable<string> Cookies() =>
        _cookies.Container.GetCookies(new Uri("https://localhost")).Select(c => $"{c.Name}={c.Value}");

    public async Task<(HttpStatusCode Status, string Html)> GetAsync(string path)
    {
        using var response = await Http.GetAsync(path);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>Opens the page, then posts the form holding <paramref name="handler"/> (or the first) with the page's antiforgery token.</summary>
    public async Task<(HttpStatusCode Status, string Html, string? Location)> PostAsync(string path, IEnumerable<KeyValuePair<string, string>> fields,
        string? handler = null, bool withToken = true, string? tokenFrom = null)
    {
        // A page the session may not open (another's, an administrator's) has no form: the token comes from one it may.
        var (_, page) = await GetAsync(tokenFrom ?? path);
        var form = new List<KeyValuePair<string, string>>(fields);
        if (withToken)
        {
            form.Add(new("__RequestVerificationToken", Token().Match(page) is { Success: true } match
                ? WebUtility.HtmlDecode(match.Groups[1].Value)
                : throw new InvalidOperationException($"{path} carries no antiforgery token:\n{page}")));
        }
        var target = handler is null ? path : $"{path}?handler={handler}";
        using var response = await Http.PostAsync(target, new FormUrlEncodedContent(form));
        return (response.StatusCode, await response.Content.ReadAsStringAsync(), response.Headers.Location?.OriginalString);
    }

    public Task<(HttpStatusCode Status, string Html, string? Location)> SignUpAsync(string email, string password) =>
        PostAsync("/portal/sign-up", [new("Email", email), new("Password", password), new("ConfirmPassword", password)]);

    public Task<(HttpStatusCode Status, string Html, string? Location)> SignInAsync(string email, string password) =>
        PostAsync("/portal/sign-in", [new("Email", email), new("Password", password)]);

    public Task<(HttpStatusCode Status, string Html, string? Location)> RequestAccessAsync(string organisation, string schools = "oakwood-primary") =>
        PostAsync("/portal/request",
        [
            new("Organisation", organisation), new("Website", "https://example.org"), new("ContactName", "Mari Tamm"),
            new("ContactEmail", "mari@example.org"), new("ContactTelephone", "+372 5555 1234"), new("Purpose", "A dashboard for the district."),
            new("Schools", schools), new("Tier", "standard"), new("RedirectUri", ""),
        ]);

    /// <summary>The value of the read-only input with this id, as the page shows it.</summary>
    public static string Field(string html, string id) =>
        Regex.Match(html, $"id=\"{id}\"[^>]*value=\"([^\"]*)\"") is { Success: true } match
            ? WebUtility.HtmlDecode(match.Groups[1].Value)
            : throw new InvalidOperationException($"The page has no field {id}:\n{html}");

    public void Dispose() => Http.Dispose();

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex Token();
}
