using Microsoft.AspNetCore.Mvc;

namespace StatsApi.Portal.Pages;

internal sealed class SchoolsModel(AccessRequests requests, SchoolRequests schoolRequests) : PortalPage
{
    public Organisation? Organisation { get; private set; }

    public IReadOnlyList<SchoolRequest> History { get; private set; } = [];

    public bool Waiting => History.Any(r => r.State == "pending");

    [BindProperty]
    public string? Schools { get; set; }

    [BindProperty]
    public string? Tier { get; set; }

    [BindProperty]
    public List<string> Scopes { get; set; } = [];

    [BindProperty]
    public string? Purpose { get; set; }

    public async Task<IActionResult> OnGetAsync() => await LoadAsync() ? Page() : NotApproved();

    public async Task<IActionResult> OnPostAsync()
    {
        if (!await LoadAsync())
        {
            return NotApproved();
        }
        var form = new SchoolRequestForm(Schools, Tier, Scopes, Purpose);
        foreach (var (field, message) in SchoolRequests.Validate(Organisation!, form))
        {
            Errors[field] = message;
        }
        if (Errors.Count > 0)
        {
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return Page();
        }
        if (await schoolRequests.SubmitAsync(Organisation!, Account.AccountId, form, HttpContext.RequestAborted) is null)
        {
            Response.StatusCode = StatusCodes.Status409Conflict;
            await LoadAsync();
            return Page();
        }
        return RedirectToPage();
    }

    public async Task<IActionResult> OnPostWithdrawAsync(long schoolRequestId)
    {
        if (!await LoadAsync())
        {
            return NotApproved();
        }
        return await schoolRequests.WithdrawAsync(Organisation!, schoolRequestId, HttpContext.RequestAborted) ? RedirectToPage() : NotFound();
    }

    private async Task<bool> LoadAsync()
    {
        Organisation = await OrganisationAsync(requests);
        if (Organisation is null)
        {
            return false;
        }
        History = await schoolRequests.ForOrganisationAsync(Organisation, HttpContext.RequestAborted);
        return true;
    }
}
