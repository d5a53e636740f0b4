using Microsoft.AspNetCore.Mvc;

namespace StatsApi.Portal.Pages;

internal sealed class RequestModel(AccessRequests requests) : PortalPage
{
    /// <summary>Name, label, input type, hint and autocomplete of the form's free-text fields.</summary>
    public static readonly IReadOnlyList<(string Name, string Label, string Type, string? Hint, string? Autocomplete)> TextFields =
    [
        ("Organisation", "Organisation", "text", "The company or institution the application belongs to.", "organization"),
        ("Website", "Website", "url", "Such as https://example.org.", "url"),
        ("ContactName", "Contact person", "text", "The person responsible for the application.", "name"),
        ("ContactEmail", "Contact e-mail", "email", null, "email"),
        ("ContactTelephone", "Contact telephone", "tel", "Such as +372 5555 1234.", "tel"),
        ("Purpose", "What the access is for", "textarea", "What your application does with the data, and for whom.", null),
        ("Schools", "Schools wanted", "text", "School ids separated by commas, such as oakwood-primary, ravenscroft-high.", null),
        ("RedirectUri", "Redirect URI (optional)", "url", "Where your application receives people after signing in, if it does.", null),
    ];

    [BindProperty]
    public AccessRequestForm Form { get; set; } = new(null, null, null, null, null, null, null, "standard", null);

    public bool MayAsk { get; private set; }

    public string? Value(string field) => field switch
    {
        "Organisation" => Form.Organisation,
        "Website" => Form.Website,
        "ContactName" => Form.ContactName,
        "ContactEmail" => Form.ContactEmail,
        "ContactTelephone" => Form.ContactTelephone,
        "Purpose" => Form.Purpose,
        "Schools" => Form.Schools,
        "Tier" => Form.Tier,
        "RedirectUri" => Form.RedirectUri,
        _ => null,
    };

    public async Task OnGetAsync()
    {
        MayAsk = await MayAskAsync();
        Form = Form with { ContactEmail = Account.Email };
    }

    public async Task<IActionResult> OnPostAsync()
    {
        MayAsk = true;
        foreach (var (field, message) in AccessRequests.Validate(Form))
        {
            Errors[field] = message;
        }
        if (Errors.Count > 0)
        {
            return Page();
        }
        if (await requests.SubmitAsync(Account.AccountId, Form, HttpContext.RequestAborted) is null)
        {
            MayAsk = false;
            Response.StatusCode = StatusCodes.Status409Conflict;
            return Page();
        }
        return Redirect(PortalServices.Path);
    }

    private async Task<bool> MayAskAsync() =>
        await requests.LatestAsync(Account.AccountId, HttpContext.RequestAborted) is null or { State: "declined" };
}
