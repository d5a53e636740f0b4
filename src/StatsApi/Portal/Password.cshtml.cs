using Microsoft.AspNetCore.Mvc;

namespace StatsApi.Portal.Pages;

internal sealed class PasswordModel(DeveloperAccounts accounts) : CredentialsPage
{
    [BindProperty]
    public string? NewPassword { get; set; }

    [BindProperty]
    public string? ConfirmPassword { get; set; }

    /// <summary>Set on the page the change redirects to.</summary>
    [BindProperty(SupportsGet = true)]
    public bool Done { get; set; }

    public async Task<IActionResult> OnPostAsync()
    {
        Done = false;
        if (string.IsNullOrEmpty(Password))
        {
            Errors[nameof(Password)] = "Enter your current password.";
        }
        NewPasswordProblems(NewPassword, ConfirmPassword, nameof(NewPassword), nameof(ConfirmPassword));
        if (Errors.Count == 0 && NewPassword == Password)
        {
            Errors[nameof(NewPassword)] = "The new password is the current one: choose another.";
        }
        if (Errors.Count > 0)
        {
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return Page();
        }
        var result = await accounts.ChangePasswordAsync(Account.AccountId, Password!, NewPassword!, HttpContext.RequestAborted);
        if (result is not SignInResult.Succeeded succeeded)
        {
            return Refused(result, "The current password is wrong.");
        }
        // The account's new stamp ended every session, this one too: this browser gets a cookie with the new stamp.
        ReturnUrl = $"{PortalServices.Path}/password?done=true";
        return await StartSessionAsync(succeeded.Account);
    }
}
