using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;

namespace StatsApi.Data;

internal static class DataServices
{
    // The client waits this much longer than the server's statement_timeout, so a slow statement ends in
    // the server's own error and the client's timeout only catches a server that does not answer at all.
    private const int ClientTimeoutMarginSeconds = 5;

    public static IHostApplicationBuilder AddStatsApiData(this IHostApplicationBuilder builder)
    {
        DefaultTypeMap.MatchNamesWithUnderscores = true;
        var connectionString = builder.Configuration.GetConnectionString("Default");
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new ConfigurationException(
                "ConnectionStrings:Default is not set. Set ConnectionStrings__Default, or start the service with scripts/run.sh, which provisions a local PostgreSQL.");
        }
        builder.Services.AddOptions<DatabaseOptions>().Bind(builder.Configuration.GetSection("Database")).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<DatabaseOptions>, DatabaseOptionsValidation>();
        void Configure(IServiceProvider services, NpgsqlDataSourceBuilder dataSource)
        {
            var database = services.GetRequiredService<IOptions<DatabaseOptions>>().Value;
            var settings = dataSource.ConnectionStringBuilder;
            settings.CommandTimeout = database.CommandTimeoutSeconds + ClientTimeoutMarginSeconds;
            settings.Options = $"{settings.Options} -c statement_timeout={database.CommandTimeoutSeconds * 1000}".Trim();
            settings.Timeout = database.ConnectionTimeoutSeconds;
            // Measured: the summary answers about a third more requests a second with its statements prepared.
            settings.MaxAutoPrepare = database.MaxAutoPrepare;
            settings.AutoPrepareMinUsages = 2;
            // Measured: with statements prepared, returning a connection to the pool costs six reset
            // statements on its next use (RESET ALL, DISCARD TEMP, CLOSE ALL...), a quarter of the summary's
            // time in PostgreSQL. Nothing here leaves session state behind: settings are SET LOCAL, locks
            // are transaction-scoped, and the migrator, the one session-level user, restores what it set.
            settings.NoResetOnClose = true;
        }
        if (NamesSeveralHosts(connectionString))
        {
            // NpgsqlDataSource is the primary, wherever it is among the hosts: everything that writes or must be
            // current takes it. The standbys are reached through the multi-host source (Standbys/).
            builder.Services.AddSingleton(sp => sp.GetRequiredService<NpgsqlMultiHostDataSource>().WithTargetSession(TargetSessionAttributes.Primary));
            builder.Services.AddMultiHostNpgsqlDataSource(connectionString, Configure);
        }
        else
        {
            builder.Services.AddNpgsqlDataSource(connectionString, Configure);
        }
        // After the HTTP conventions' own handler for unreadable bodies.
        builder.Services.AddExceptionHandler<DatabaseUnavailable>();
        builder.Services.AddExceptionHandler<ConstraintViolations>();
        builder.Services.AddSingleton<Migrator>();
        builder.Services.AddSingleton<WriteTransactions>();
        // The one clock of the service, below everything that reads the time; tests replace it.
        builder.Services.AddSingleton(TimeProvider.System);
        return builder;
    }

    /// <summary>Whether the connection string names several hosts (Host=primary:5432,standby:5432).</summary>
    public static bool NamesSeveralHosts(string connectionString) =>
        new NpgsqlConnectionStringBuilder(connectionString).Host?.Contains(',', StringComparison.Ordinal) == true;
}
