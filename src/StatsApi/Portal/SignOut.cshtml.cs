using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;

namespace StatsApi.Portal.Pages;

internal sealed class SignOutModel(DeveloperAccounts accounts) : PortalPage
{
    public async Task<IActionResult> OnPostAsync()
    {
        // A new stamp ends this session and any other, on every instance, even if a copy of the cookie was kept.
        await accounts.EndSessionsAsync(Account.AccountId, HttpContext.RequestAborted);
        await HttpContext.SignOutAsync(PortalServices.Scheme);
        return Redirect($"{PortalServices.Path}/sign-in");
    }
}
