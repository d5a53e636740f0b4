namespace StatsApi.Http;

public static class Logging
{
    /// <summary>Structured JSON on stdout for the server; admin commands keep their output for people.</summary>
    public static IHostApplicationBuilder AddStatsApiLogging(this IHostApplicationBuilder builder, bool isCommand)
    {
        builder.Logging.ClearProviders();
        if (isCommand)
        {
            // A provider-specific rule, so appsettings' Logging:LogLevel:Default does not override it.
            builder.Logging.AddSimpleConsole(o => o.SingleLine = true)
                .AddFilter<Microsoft.Extensions.Logging.Console.ConsoleLoggerProvider>(null, LogLevel.Warning);
        }
        else
        {
            builder.Logging.AddJsonConsole(o =>
            {
                o.IncludeScopes = true;
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
            });
        }
        return builder;
    }
}
