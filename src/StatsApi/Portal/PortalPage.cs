using Microsoft.AspNetCore.Mvc.RazorPages;

namespace StatsApi.Portal;

/// <summary>A portal page for a signed-in developer.</summary>
public abstract class PortalPage : PageModel
{
    /// <summary>The account of the session, validated for this request.</summary>
    public DeveloperAccount Account => PortalServices.Account(HttpContext)
        ?? throw new InvalidOperationException("A portal page ran without a validated session.");

    /// <summary>Field name to message, shown beside the field.</summary>
    public Dictionary<string, string> Errors { get; } = new(StringComparer.Ordinal);

    public string? ErrorFor(string field) => Errors.GetValueOrDefault(field);
}
