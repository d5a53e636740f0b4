namespace StatsApi.Health;

internal static class HealthServices
{
    public static IHostApplicationBuilder AddStatsApiHealth(this IHostApplicationBuilder builder)
    {
        // One instance, so its kept answer outlives a probe.
        builder.Services.AddSingleton<DatabaseReadyCheck>();
        builder.Services.AddHealthChecks().AddCheck<DatabaseReadyCheck>("database", tags: ["ready"]);
        return builder;
    }
}
