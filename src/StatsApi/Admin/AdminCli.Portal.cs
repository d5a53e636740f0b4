using StatsApi.Portal;

namespace StatsApi.Admin;

// The commands about the developer portal's platform administrators.
internal static partial class AdminCli
{
    private static string AdminEmail(CommandLine line)
    {
        line.Allow();
        if (line.Positional.Count != 1)
        {
            throw new UsageException("Name exactly one EMAIL.");
        }
        return DeveloperAccounts.EmailProblem(line.Positional[0]) is { } problem ? throw new UsageException($"EMAIL: {problem}") : line.Positional[0];
    }

    private static async Task<int> AddPortalAdminAsync(IServiceProvider services, CommandLine line, TextWriter output)
    {
        var (account, password) = await services.GetRequiredService<DeveloperAccounts>().MakePlatformAdminAsync(AdminEmail(line));
        Write(output, line, new { email = account.Email, password, portal = PortalServices.Path + "/admin" }, password is null
            ? $"{account.Email} is a platform administrator: sign in at {PortalServices.Path}/admin to review access requests."
            : $"Made the account {account.Email}, a platform administrator.\nPassword (shown only this once): {password}\nSign in at {PortalServices.Path}/sign-in; requests to review are at {PortalServices.Path}/admin.");
        return 0;
    }

    private static async Task<int> ListPortalAdminsAsync(IServiceProvider services, CommandLine line, TextWriter output)
    {
        var admins = await services.GetRequiredService<DeveloperAccounts>().PlatformAdminsAsync();
        Write(output, line, admins.Select(a => new { email = a.Email, created_at = a.CreatedAt }),
            admins.Count == 0 ? "No platform administrator: add one with 'portal admins add EMAIL'." : string.Join('\n', admins.Select(a => a.Email)));
        return 0;
    }
}
