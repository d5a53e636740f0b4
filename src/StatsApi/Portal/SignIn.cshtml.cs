using Microsoft.AspNetCore.Mvc;

namespace StatsApi.Portal.Pages;

internal sealed class SignInModel(DeveloperAccounts accounts) : CredentialsPage
{
    public async Task<IActionResult> OnPostAsync()
    {
        if (string.IsNullOrWhiteSpace(Email))
        {
            Errors[nameof(Email)] = "Enter your e-mail address.";
        }
        if (string.IsNullOrEmpty(Password))
        {
            Errors[nameof(Password)] = "Enter your password.";
        }
        if (Errors.Count > 0)
        {
            return Page();
        }
        var result = await accounts.SignInAsync(Email!, Password!, HttpContext.Connection.RemoteIpAddress, HttpContext.RequestAborted);
        return result is SignInResult.Succeeded succeeded
            ? await StartSessionAsync(succeeded.Account)
            : Refused(result, "The e-mail address or the password is wrong.");
    }
}
