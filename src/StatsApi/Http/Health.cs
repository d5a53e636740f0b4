using Microsoft.AspNetCore.Diagnostics.HealthChecks;

namespace StatsApi.Http;

public static class Health
{
    public static WebApplication MapHealth(this WebApplication app)
    {
        // Live: the process answers. Ready: the database answers and is migrated.
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false }).AllowAnonymous();
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready") }).AllowAnonymous();
        return app;
    }
}
