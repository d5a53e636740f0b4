using Microsoft.AspNetCore.Mvc.RazorPages;

namespace StatsApi.Portal;

/// <summary>A portal page for a signed-in developer.</summary>
internal abstract class PortalPage : PageModel
{
    /// <summary>The account of the session, validated for this request.</summary>
    public DeveloperAccount Account => PortalServices.Account(HttpContext)
        ?? throw new InvalidOperationException("A portal page ran without a validated session.");

    /// <summary>Field name to message, shown beside the field.</summary>
    public Dictionary<string, string> Errors { get; } = new(StringComparer.Ordinal);

    public string? ErrorFor(string field) => Errors.GetValueOrDefault(field);

    /// <summary>The organisation the signed-in developer acts for, or null before its access is approved.</summary>
    protected async Task<Organisation?> OrganisationAsync(AccessRequests requests) =>
        Account.IsActive ? Organisation.Of(await requests.LatestAsync(Account.AccountId, HttpContext.RequestAborted)) : null;

    /// <summary>The page, answered 403: what it offers waits for an approved access request.</summary>
    protected PageResult NotApproved()
    {
        Response.StatusCode = StatusCodes.Status403Forbidden;
        return Page();
    }
}
