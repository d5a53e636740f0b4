namespace StatsApi.Http;

public static class Logging
{
    /// <summary>Structured JSON on stdout for the server; admin commands keep their output for people.</summary>
    public static IHostApplicationBuilder AddStatsApiLogging(this IHostApplicationBuilder builder, bool isCommand)
    {
        builder.Logging.ClearProviders();
        if (isCommand)
        {
            builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning);
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
