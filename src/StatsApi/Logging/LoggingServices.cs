namespace StatsApi.Logging;

internal static class LoggingServices
{
    /// <summary>JSON lines on stdout for the server; admin commands keep their output for people.</summary>
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
            // Created by the container so that it is disposed, and writes its last lines, at shutdown.
            builder.Services.AddSingleton<ILoggerProvider>(services => new JsonLinesLoggerProvider(
                new JsonLinesWriter(Console.OpenStandardOutput()), services.GetService<TimeProvider>() ?? TimeProvider.System));
            // The host's own request lines carry the query string, where a name may be (?q=): the request log
            // replaces them, and they stay off whatever level Microsoft.AspNetCore or Default is set to.
            builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.Warning);
        }
        return builder;
    }

    /// <summary>First of all middleware, so every answer, even a refusal, carries X-Request-Id and is logged.</summary>
    public static WebApplication UseStatsApiRequestLog(this WebApplication app)
    {
        app.UseMiddleware<RequestIdMiddleware>();
        return app;
    }
}
