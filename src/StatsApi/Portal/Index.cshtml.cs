namespace StatsApi.Portal.Pages;

internal sealed class IndexModel(AccessRequests requests) : PortalPage
{
    public AccessRequest? Latest { get; private set; }

    public string StateText => Latest?.State switch
    {
        "pending" => "Waiting for review",
        "approved" => "Approved",
        "declined" => "Declined",
        _ => "",
    };

    public async Task OnGetAsync() => Latest = await requests.LatestAsync(Account.AccountId, HttpContext.RequestAborted);
}
