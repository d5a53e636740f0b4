using Microsoft.AspNetCore.Mvc;

namespace StatsApi.Portal.Pages;

internal sealed class SignUpModel(DeveloperAccounts accounts) : CredentialsPage
{
    [BindProperty]
    public string? ConfirmPassword { get; set; }

    public async Task<IActionResult> OnPostAsync()
    {
        if (DeveloperAccounts.EmailProblem(Email) is { } emailProblem)
        {
            Errors[nameof(Email)] = emailProblem;
        }
        NewPasswordProblems(Password, ConfirmPassword, nameof(Password), nameof(ConfirmPassword));
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
        return await StartSessionAsync(account);
    }
}
