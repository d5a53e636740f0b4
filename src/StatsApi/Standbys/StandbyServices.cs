using Npgsql;
using StatsApi.Redis;

namespace StatsApi.Standbys;

public static class StandbyServices
{
    /// <summary>Whether the connection string names several hosts (Host=primary:5432,standby:5432).</summary>
    public static bool NamesSeveralHosts(string connectionString) =>
        new NpgsqlConnectionStringBuilder(connectionString).Host?.Contains(',', StringComparison.Ordinal) == true;

    /// <summary>
    /// NpgsqlDataSource is the primary, wherever it is among the hosts: everything that writes or must be
    /// current takes it. Operations marked <see cref="StandbyReads.ReadsOnStandby"/> read on the standbys.
    /// </summary>
    public static IServiceCollection AddStandbyReads(this IServiceCollection services, IConfiguration configuration, string connectionString,
        Action<IServiceProvider, NpgsqlDataSourceBuilder> configure)
    {
        services.AddSingleton(sp => sp.GetRequiredService<NpgsqlMultiHostDataSource>().WithTargetSession(TargetSessionAttributes.Primary));
        services.AddMultiHostNpgsqlDataSource(connectionString, configure);
        services.AddStatsApiRedis(configuration);
        services.AddSingleton(sp => ActivatorUtilities.CreateInstance<StandbyMonitor>(sp, connectionString));
        services.AddHostedService(sp => sp.GetRequiredService<StandbyMonitor>());
        services.AddSingleton<RecentWrites>();
        services.AddSingleton<ReadRouting>();
        services.AddScoped(sp => new ReadDataSource(sp.GetRequiredService<NpgsqlDataSource>()));
        return services;
    }

    /// <summary>One host: it answers every read, as every write.</summary>
    public static IServiceCollection AddOneHostReads(this IServiceCollection services)
    {
        services.AddSingleton(ReadRouting.OneHost);
        services.AddScoped(sp => new ReadDataSource(sp.GetRequiredService<NpgsqlDataSource>()));
        return services;
    }
}
