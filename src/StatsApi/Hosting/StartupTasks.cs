using Microsoft.Extensions.Options;
using StatsApi.Auth;
using StatsApi.Data;
using StatsApi.Http;
using StatsApi.Tokens;

namespace StatsApi.Hosting;

internal static class StartupTasks
{
    /// <summary>Migrates (unless Database:MigrateOnStartup is false) and makes sure a signing key exists.</summary>
    public static async Task PrepareDatabaseAsync(this WebApplication app)
    {
        WarnOfStateKeptPerInstance(app);
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

    // Quotas and the record of recent writes are shared through Redis; without it each instance keeps its
    // own, which is right for one instance and silently wrong for several: N instances grant N quotas, and a
    // client that wrote through one may read a standby's older answer through another.
    private static void WarnOfStateKeptPerInstance(WebApplication app)
    {
        if (!string.IsNullOrWhiteSpace(app.Configuration["Redis:Configuration"]))
        {
            return;
        }
        var severalHosts = DataServices.NamesSeveralHosts(app.Configuration.GetConnectionString("Default") ?? "");
        var behindProxy = app.Services.GetRequiredService<IOptions<HttpOptions>>().Value.TrustedProxies.Any(p => !string.IsNullOrWhiteSpace(p));
        if (severalHosts || behindProxy)
        {
            app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(StartupTasks)).LogWarning(
                "Redis:Configuration is not set while {Reason}: quotas and the record of recent writes are kept by this instance alone. " +
                "Behind a load balancer with several instances, set Redis:Configuration so that they share them.",
                severalHosts ? "the database has several hosts" : "Http:TrustedProxies names a proxy in front");
        }
    }
}
