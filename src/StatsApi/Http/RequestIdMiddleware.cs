using System.Diagnostics;
using System.Text.RegularExpressions;

namespace StatsApi.Http;

/// <summary>Gives every request an id (the caller's X-Request-Id when it is sane, else a new one) and logs it.</summary>
public sealed partial class RequestIdMiddleware(RequestDelegate next, ILogger<RequestIdMiddleware> logger)
{
    public const string HeaderName = "X-Request-Id";

    public async Task InvokeAsync(HttpContext context)
    {
        var incoming = context.Request.Headers[HeaderName];
        var requestId = incoming.Count == 1 && SaneId().IsMatch(incoming[0]!)
            ? incoming[0]!
            : Activity.Current?.TraceId.ToHexString() ?? Guid.NewGuid().ToString("N");

        context.TraceIdentifier = requestId;
        context.Response.OnStarting(() =>
        {
            context.Response.Headers[HeaderName] = requestId;
            return Task.CompletedTask;
        });

        // snake_case like the problem bodies' field, and unlike ASP.NET's own RequestId (a connection counter).
#pragma warning disable CA1727
        using (logger.BeginScope("{request_id}", requestId))
#pragma warning restore CA1727
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                await next(context);
            }
            finally
            {
                // One line a request, never with its query string: that can name schools and students.
                logger.LogInformation("{Method} {Path} answered {Status} in {ElapsedMs:F1} ms",
                    context.Request.Method, context.Request.Path.Value, context.Response.StatusCode,
                    Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        }
    }

    // Echoed into headers and logs, so only a short, printable, header-safe id is accepted.
    [GeneratedRegex("^[A-Za-z0-9._:-]{1,128}\\z")]
    private static partial Regex SaneId();
}
