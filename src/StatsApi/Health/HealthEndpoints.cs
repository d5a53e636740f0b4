using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using StatsApi.Http;

namespace StatsApi.Health;

internal static class HealthEndpoints
{
    public static WebApplication MapHealth(this WebApplication app)
    {
        // Live: the process answers. Ready: the database answers and is migrated.
        app.MapHealthChecks(Probes.LivePath, new HealthCheckOptions { Predicate = _ => false }).AllowAnonymous();
        app.MapHealthChecks(Probes.ReadyPath, new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready") }).AllowAnonymous();
        return app;
    }
}
