using Dapper;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace StatsApi.Data;

public static class DataServices
{
    public static IHostApplicationBuilder AddStatsApiData(this IHostApplicationBuilder builder)
    {
        DefaultTypeMap.MatchNamesWithUnderscores = true;
        var connectionString = builder.Configuration.GetConnectionString("Default");
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new ConfigurationException(
                "ConnectionStrings:Default is not set. Set ConnectionStrings__Default, or start the service with scripts/run.sh, which provisions a local PostgreSQL.");
        }
        builder.Services.AddNpgsqlDataSource(connectionString);
        builder.Services.AddSingleton<Migrator>();
        builder.Services.AddSingleton<WriteTransactions>();
        builder.Services.AddSingleton<DemoData>();
        builder.Services.TryAddSingleton(TimeProvider.System);
        // One instance, so its kept answer outlives a probe.
        builder.Services.AddSingleton<DatabaseReadyCheck>();
        builder.Services.AddHealthChecks().AddCheck<DatabaseReadyCheck>("database", tags: ["ready"]);
        return builder;
    }
}
