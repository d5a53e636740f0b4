using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;

namespace StatsApi.Portal.Pages;

public sealed class SignUpModel(DeveloperAccounts accounts) : PortalPage
{
    [BindProperty]
    public string? Email { get; set; }

    [BindProperty]
    public string? Password { get; set; }

    [BindProperty]
    public string? ConfirmPassword { get; set; }

    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync()
    {
        if (DeveloperAccounts.EmailProblem(Email) is { } emailProblem)
        {
            Errors[nameof(Email)] = emailProblem;
        }
        if (DeveloperAccounts.PasswordProblem(Password) is { } passwordProblem)
        {
            Errors[nameof(Password)] = passwordProblem;
        }
        else if (ConfirmPassword != Password)
        {
            Errors[nameof(ConfirmPassword)] = "The two passwords differ: type the same one twice.";
        }
        if (Errors.Count > 0)
        {
            return Page();
        }
        var account = await accounts.SignUpAsync(Email!, Password!, HttpContext.RequestAborted);
        if (account is null)
        {
            Errors[nameof(Email)] = "This address has an account already: sign in instead.";
            return Page();
        }
        await HttpContext.SignInAsync(PortalServices.Scheme, PortalServices.Principal(account));
        return Redirect(PortalServices.Path);
    }
}
