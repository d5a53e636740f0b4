using Npgsql;
using StatsApi.Data;
using StatsApi.Redis;

namespace StatsApi.Standbys;

internal static class StandbyServices
{
    /// <summary>
    /// With several hosts in the connection string, operations marked <see cref="StandbyReads.ReadsOnStandby"/>
    /// read on the standbys; with one, that host answers every read, as every write.
    /// </summary>
    public static IHostApplicationBuilder AddStatsApiReads(this IHostApplicationBuilder builder)
    {
        var connectionString = builder.Configuration.GetConnectionString("Default")!;
        if (DataServices.NamesSeveralHosts(connectionString))
        {
            builder.Services.AddStandbyReads(builder.Configuration, connectionString);
        }
        else
        {
            builder.Services.AddOneHostReads();
        }
        return builder;
    }

    private static IServiceCollection AddStandbyReads(this IServiceCollection services, IConfiguration configuration, string connectionString)
    {
        services.AddStatsApiRedis(configuration);
        services.AddSingleton(sp => ActivatorUtilities.CreateInstance<StandbyMonitor>(sp, connectionString));
        services.AddHostedService(sp => sp.GetRequiredService<StandbyMonitor>());
        services.AddSingleton<RecentWrites>();
        services.AddSingleton<ReadRouting>();
        services.AddScoped(sp => new ReadDataSource(sp.GetRequiredService<NpgsqlDataSource>()));
        return services;
    }

    private static IServiceCollection AddOneHostReads(this IServiceCollection services)
    {
        services.AddSingleton(ReadRouting.OneHost);
        services.AddScoped(sp => new ReadDataSource(sp.GetRequiredService<NpgsqlDataSource>()));
        return services;
    }
}
