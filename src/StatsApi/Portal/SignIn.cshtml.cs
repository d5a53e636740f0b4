using System.Globalization;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;

namespace StatsApi.Portal.Pages;

public sealed class SignInModel(DeveloperAccounts accounts) : PortalPage
{
    [BindProperty]
    public string? Email { get; set; }

    [BindProperty]
    public string? Password { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    public string? Message { get; private set; }

    public void OnGet()
    {
    }

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
        switch (await accounts.SignInAsync(Email!, Password!, HttpContext.RequestAborted))
        {
            case SignInResult.Succeeded succeeded:
                await HttpContext.SignInAsync(PortalServices.Scheme, PortalServices.Principal(succeeded.Account));
                // Only a page of the portal: a link that sends a developer elsewhere after signing in is refused.
                return Redirect(ReturnUrl is { } back && back.StartsWith(PortalServices.Path, StringComparison.Ordinal) && !back.StartsWith("//", StringComparison.Ordinal) && Url.IsLocalUrl(back)
                    ? back : PortalServices.Path);
            case SignInResult.LockedOut lockedOut:
                Message = $"Too many failed sign-ins for this address: it is locked until {lockedOut.Until.UtcDateTime.ToString("HH:mm", CultureInfo.InvariantCulture)} UTC. " +
                    "Try again then, or ask a platform administrator.";
                Response.StatusCode = StatusCodes.Status429TooManyRequests;
                return Page();
            default:
                Message = $"The e-mail address or the password is wrong. After {DeveloperAccounts.FailuresBeforeLockout} failures in " +
                    $"{DeveloperAccounts.FailureWindow.TotalMinutes:0} minutes the address is locked for {DeveloperAccounts.LockoutDuration.TotalMinutes:0} minutes.";
                Response.StatusCode = StatusCodes.Status401Unauthorized;
                return Page();
        }
    }
}
