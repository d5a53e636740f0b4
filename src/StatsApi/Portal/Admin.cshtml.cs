using Microsoft.AspNetCore.Mvc;

namespace StatsApi.Portal.Pages;

internal sealed class AdminModel(AccessRequests requests, SchoolRequests schoolRequests) : PortalPage
{
    /// <summary>Ticked before the reviewer chooses: reading the summary and the schools.</summary>
    public static readonly IReadOnlySet<string> DefaultScopes = new HashSet<string>(StringComparer.Ordinal) { StatsApi.Tokens.Scopes.AttendanceRead, StatsApi.Tokens.Scopes.SchoolsRead };

    public IReadOnlyList<AccessRequest> Queue { get; private set; } = [];

    public IReadOnlyList<SchoolRequest> SchoolQueue { get; private set; } = [];

    [BindProperty]
    public long SchoolRequestId { get; set; }

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

    public Task<IActionResult> OnPostDeclineAsync() =>
        DeclineAsync(reason => requests.DeclineAsync(RequestId, Account.AccountId, reason, HttpContext.RequestAborted), () => RequestId = 0);

    public async Task<IActionResult> OnPostApproveSchoolsAsync()
    {
        if (!Account.IsPlatformAdmin)
        {
            return NotFound();
        }
        var added = new Grant(AccessRequests.SplitList(Schools), Tier ?? "", Scopes);
        if (await schoolRequests.PendingAsync(SchoolRequestId, HttpContext.RequestAborted) is not { } request)
        {
            Done = "That request was reviewed or withdrawn meanwhile.";
        }
        else
        {
            foreach (var (field, message) in await requests.ValidateAsync(SchoolRequests.Widened(request, added), HttpContext.RequestAborted))
            {
                Errors[field] = message;
            }
            if (Errors.Count == 0)
            {
                Done = await schoolRequests.ApproveAsync(SchoolRequestId, Account.AccountId, added, HttpContext.RequestAborted)
                    ? $"Approved: {request.Organisation} holds the added grant now."
                    : "That request was reviewed or withdrawn meanwhile.";
                SchoolRequestId = 0;
            }
            else
            {
                Response.StatusCode = StatusCodes.Status400BadRequest;
            }
        }
        await LoadAsync();
        return Page();
    }

    public Task<IActionResult> OnPostDeclineSchoolsAsync() =>
        DeclineAsync(reason => schoolRequests.DeclineAsync(SchoolRequestId, Account.AccountId, reason, HttpContext.RequestAborted), () => SchoolRequestId = 0);

    // Either queue's decline: a reason the developer will read, then the request is no longer open.
    private async Task<IActionResult> DeclineAsync(Func<string, Task<bool>> decline, Action reviewed)
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
            Done = await decline(Reason) ? "Declined: the developer sees your reason." : "That request was reviewed or withdrawn meanwhile.";
            reviewed();
        }
        await LoadAsync();
        return Page();
    }

    private async Task LoadAsync()
    {
        Queue = await requests.PendingAsync(HttpContext.RequestAborted);
        SchoolQueue = await schoolRequests.PendingAsync(HttpContext.RequestAborted);
    }
}
