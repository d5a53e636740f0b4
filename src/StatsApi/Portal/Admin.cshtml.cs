using Microsoft.AspNetCore.Mvc;

namespace StatsApi.Portal.Pages;

public sealed class AdminModel(AccessRequests requests) : PortalPage
{
    /// <summary>Ticked before the reviewer chooses: reading the summary and the schools.</summary>
    public static readonly IReadOnlySet<string> DefaultScopes = new HashSet<string>(StringComparer.Ordinal) { StatsApi.Tokens.Scopes.AttendanceRead, StatsApi.Tokens.Scopes.SchoolsRead };

    public IReadOnlyList<AccessRequest> Queue { get; private set; } = [];

    public string? Done { get; private set; }

    [BindProperty]
    public long RequestId { get; set; }

    [BindProperty]
    public string? Schools { get; set; }

    [BindProperty]
    public string? Tier { get; set; }

    [BindProperty]
    public List<string> Scopes { get; set; } = [];

    [BindProperty]
    public string? Reason { get; set; }

    public async Task<IActionResult> OnGetAsync()
    {
        if (!Account.IsPlatformAdmin)
        {
            return NotFound();
        }
        await LoadAsync();
        return Page();
    }

    public async Task<IActionResult> OnPostApproveAsync()
    {
        if (!Account.IsPlatformAdmin)
        {
            return NotFound();
        }
        var grant = new Grant(AccessRequests.SplitList(Schools), Tier ?? "", Scopes);
        foreach (var (field, message) in await requests.ValidateAsync(grant, HttpContext.RequestAborted))
        {
            Errors[field] = message;
        }
        if (Errors.Count == 0)
        {
            Done = await requests.ApproveAsync(RequestId, Account.AccountId, grant, HttpContext.RequestAborted)
                ? "Approved: the developer can create applications now."
                : "That request was reviewed meanwhile.";
            RequestId = 0;
        }
        else
        {
            Response.StatusCode = StatusCodes.Status400BadRequest;
        }
        await LoadAsync();
        return Page();
    }

    public async Task<IActionResult> OnPostDeclineAsync()
    {
        if (!Account.IsPlatformAdmin)
        {
            return NotFound();
        }
        if (string.IsNullOrWhiteSpace(Reason) || Reason.Trim().Length > 2000)
        {
            Errors["reason"] = "Write the reason the developer will read, in at most 2000 characters.";
            Response.StatusCode = StatusCodes.Status400BadRequest;
        }
        else
        {
            Done = await requests.DeclineAsync(RequestId, Account.AccountId, Reason, HttpContext.RequestAborted)
                ? "Declined: the developer sees your reason."
                : "That request was reviewed meanwhile.";
            RequestId = 0;
        }
        await LoadAsync();
        return Page();
    }

    private async Task LoadAsync() => Queue = await requests.PendingAsync(HttpContext.RequestAborted);
}
