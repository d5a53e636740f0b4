using Microsoft.AspNetCore.Diagnostics.HealthChecks;

namespace StatsApi.Http;

public static class Health
{
    public const string LivePath = "/health/live";
    public const string ReadyPath = "/health/ready";

    public static bool IsProbe(PathString path) => path == LivePath || path == ReadyPath;

    public static WebApplication MapHealth(this WebApplication app)
    {
        // Live: the process answers. Ready: the database answers and is migrated.
        app.MapHealthChecks(LivePath, new HealthCheckOptions { Predicate = _ => false }).AllowAnonymous();
        app.MapHealthChecks(ReadyPath, new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready") }).AllowAnonymous();
        return app;
    }
}
