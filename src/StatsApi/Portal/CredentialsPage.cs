using System.Globalization;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;

namespace StatsApi.Portal;

/// <summary>
/// The part the sign-in, sign-up and password pages share: an e-mail address and a password typed, the words for
/// a failed or locked-out attempt, and a session started that returns only to a page of the portal.
/// </summary>
internal abstract class CredentialsPage : PortalPage
{
    [BindProperty]
    public string? Email { get; set; }

    [BindProperty]
    public string? Password { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    /// <summary>Beside the form, when the attempt failed as a whole rather than one of its fields.</summary>
    public string? Message { get; protected set; }

    /// <summary>The cookie of a new session, carrying the account's stamp, then the page the developer came from.</summary>
    protected async Task<IActionResult> StartSessionAsync(DeveloperAccount account)
    {
        await HttpContext.SignInAsync(PortalServices.Scheme, PortalServices.Principal(account));
        // Only a page of the portal: a link that sends a developer elsewhere after signing in is refused.
        return Redirect(ReturnUrl is { } back && back.StartsWith(PortalServices.Path, StringComparison.Ordinal) &&
            !back.StartsWith("//", StringComparison.Ordinal) && Url.IsLocalUrl(back) ? back : PortalServices.Path);
    }

    /// <summary>Puts beside the fields what is wrong with a new password and its confirmation.</summary>
    protected void NewPasswordProblems(string? password, string? confirmation, string passwordField, string confirmationField)
    {
        if (DeveloperAccounts.PasswordProblem(password) is { } passwordProblem)
        {
            Errors[passwordField] = passwordProblem;
        }
        else if (confirmation != password)
        {
            Errors[confirmationField] = "The two passwords differ: type the same one twice.";
        }
    }

    /// <summary>The page again, with the message and status of an attempt that did not succeed.</summary>
    protected IActionResult Refused(SignInResult result, string wrong)
    {
        (Message, Response.StatusCode) = result switch
        {
            SignInResult.LockedOut { ByNetworkAddress: true } paused => (
                $"Too many failed sign-ins came from your network address: signing in from it is paused until {Time(paused.Until)} UTC. " +
                "Try again then, or ask a platform administrator.", StatusCodes.Status429TooManyRequests),
            SignInResult.LockedOut lockedOut => (
                $"Too many failed sign-ins for this address: it is locked until {Time(lockedOut.Until)} UTC. " +
                "Try again then, or ask a platform administrator.", StatusCodes.Status429TooManyRequests),
            _ => ($"{wrong} After {DeveloperAccounts.FailuresBeforeLockout} failures in {DeveloperAccounts.FailureWindow.TotalMinutes:0} minutes " +
                $"the address is locked for {DeveloperAccounts.LockoutDuration.TotalMinutes:0} minutes.", StatusCodes.Status401Unauthorized),
        };
        return Page();
    }

    private static string Time(DateTimeOffset instant) => instant.UtcDateTime.ToString("HH:mm", CultureInfo.InvariantCulture);
}
