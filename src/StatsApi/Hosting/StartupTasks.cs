using Microsoft.Extensions.Options;
using StatsApi.Data;
using StatsApi.Tokens;
using StatsApi.Auth;

namespace StatsApi.Hosting;

public static class StartupTasks
{
    /// <summary>Migrates (unless Database:MigrateOnStartup is false) and makes sure a signing key exists.</summary>
    public static async Task PrepareDatabaseAsync(this WebApplication app)
    {
        if (app.Services.GetRequiredService<IOptions<DatabaseOptions>>().Value.MigrateOnStartup)
        {
            await app.Services.GetRequiredService<Migrator>().ApplyAsync(app.Lifetime.ApplicationStopping);
        }
        if (app.Services.GetRequiredService<IOptions<TokenOptions>>().Value.Enabled)
        {
            await app.Services.GetRequiredService<SigningKeys>().InitializeAsync(app.Lifetime.ApplicationStopping);
            // Before the first request, so no revoked token slips through the first refresh interval.
            await app.Services.GetRequiredService<Revocations>().RefreshAsync(app.Lifetime.ApplicationStopping);
        }
    }
}
