using Microsoft.AspNetCore.Mvc;
using StatsApi.Clients;
using StatsApi.RateLimiting;

namespace StatsApi.Portal.Pages;

internal sealed class ApplicationsModel(AccessRequests requests, PortalApplications applications, ClientUsage usage) : PortalPage
{
    public Organisation? Organisation { get; private set; }

    public IReadOnlyList<ApiClient> List { get; private set; } = [];

    /// <summary>How many days the usage charts show.</summary>
    public const int UsageDays = 14;

    public IReadOnlyDictionary<string, IReadOnlyList<DailyUsage>> Usage { get; private set; } = new Dictionary<string, IReadOnlyList<DailyUsage>>();

    public IReadOnlyDictionary<string, DateTime> LastUse { get; private set; } = new Dictionary<string, DateTime>();

    /// <summary>Credentials just made: shown in this answer only, never stored, never in a URL.</summary>
    public ClientCredentials? Shown { get; private set; }

    public string ShownTitle { get; private set; } = "";

    /// <summary>
    /// /api-docs with the application's client id in its Authorize dialog; the secret is never in a link. The page itself, as
    /// /api-docs redirects to it without the query.
    /// </summary>
    public static string ApiDocs(ApiClient application) =>
        $"/api-docs/index.html?{StatsApi.Docs.ApiDocs.ClientIdParameter}={Uri.EscapeDataString(application.ClientId)}";

    [BindProperty]
    public string? Name { get; set; }

    [BindProperty]
    public string? Tier { get; set; }

    [BindProperty]
    public List<string> Scopes { get; set; } = [];

    public async Task<IActionResult> OnGetAsync() => await LoadAsync() ? Page() : NotApproved();

    public async Task<IActionResult> OnPostCreateAsync()
    {
        if (!await LoadAsync())
        {
            return NotApproved();
        }
        switch (await applications.CreateAsync(Organisation!, Account.AccountId, Name, Tier, Scopes, HttpContext.RequestAborted))
        {
            case CreateResult.Created created:
                Shown = created.Credentials;
                ShownTitle = $"{created.Credentials.Client.Name} is ready";
                Name = null;
                Scopes = [];
                break;
            case CreateResult.Invalid invalid:
                foreach (var (field, message) in invalid.Errors)
                {
                    Errors[field] = message;
                }
                Response.StatusCode = StatusCodes.Status400BadRequest;
                return Page();
        }
        await LoadAsync();
        return Page();
    }

    public async Task<IActionResult> OnPostRotateAsync(string? clientId)
    {
        if (!await LoadAsync())
        {
            return NotApproved();
        }
        var rotated = await applications.RotateSecretAsync(Organisation!, Account.AccountId, clientId ?? "", HttpContext.RequestAborted);
        if (rotated is null)
        {
            return NotFound();
        }
        Shown = rotated;
        ShownTitle = $"A new secret for {rotated.Client.Name}: the old one no longer works";
        return Page();
    }

    public async Task<IActionResult> OnPostAddSchoolsAsync(string? clientId)
    {
        if (!await LoadAsync())
        {
            return NotApproved();
        }
        return await applications.AddSchoolsAsync(Organisation!, Account.AccountId, clientId ?? "", HttpContext.RequestAborted) is null
            ? NotFound()
            : RedirectToPage();
    }

    public async Task<IActionResult> OnPostRevokeAsync(string? clientId)
    {
        if (!await LoadAsync())
        {
            return NotApproved();
        }
        if (await applications.RevokeAsync(Organisation!, Account.AccountId, clientId ?? "", HttpContext.RequestAborted) is null)
        {
            return NotFound();
        }
        return RedirectToPage();
    }

    private async Task<bool> LoadAsync()
    {
        Organisation = await OrganisationAsync(requests);
        if (Organisation is null)
        {
            return false;
        }
        List = await applications.ListAsync(Organisation, HttpContext.RequestAborted);
        var ids = List.Select(a => a.ClientId).ToList();
        Usage = await usage.LastDaysAsync(ids, UsageDays, HttpContext.RequestAborted);
        LastUse = await usage.LastUseAsync(ids, HttpContext.RequestAborted);
        return true;
    }
}
