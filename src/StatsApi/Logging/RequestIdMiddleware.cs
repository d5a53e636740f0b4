using System.Diagnostics;
using System.Text.RegularExpressions;
using StatsApi.Auth;
using StatsApi.Http;
using StatsApi.Telemetry;

namespace StatsApi.Logging;

/// <summary>
/// Gives every request an id and logs one line when it is answered. The id is the caller's X-Request-Id
/// when it is sane (then tagged on the request's trace), else the trace id, so either finds the trace.
/// </summary>
internal sealed partial class RequestIdMiddleware(RequestDelegate next, ILogger<RequestIdMiddleware> logger)
{
    public const string HeaderName = "X-Request-Id";

    /// <summary>The trace tag that holds a caller's own X-Request-Id.</summary>
    public const string RequestIdTag = "statsapi.request_id";

    // snake_case like the problem bodies' field, and unlike ASP.NET's own RequestId (a connection counter).
#pragma warning disable CA1727
    private static readonly Func<ILogger, string, IDisposable?> RequestScope = LoggerMessage.DefineScope<string>("{request_id}");
#pragma warning restore CA1727

    public async Task InvokeAsync(HttpContext context)
    {
        var incoming = context.Request.Headers[HeaderName];
        var activity = Activity.Current;
        string requestId;
        if (incoming.Count == 1 && SaneId().IsMatch(incoming[0]!))
        {
            requestId = incoming[0]!;
            activity?.SetTag(RequestIdTag, requestId);
        }
        else
        {
            requestId = activity?.TraceId.ToHexString() ?? Guid.NewGuid().ToString("N");
        }

        context.TraceIdentifier = requestId;
        context.Response.OnStarting(() =>
        {
            context.Response.Headers[HeaderName] = requestId;
            return Task.CompletedTask;
        });

        using (RequestScope(logger, requestId))
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                await next(context);
            }
            finally
            {
                Answered(context, activity, Stopwatch.GetElapsedTime(started));
            }
        }
    }

    private void Answered(HttpContext context, Activity? activity, TimeSpan elapsed)
    {
        var status = context.Response.StatusCode;
        var errorCode = AnsweredError.Of(context);
        // Who and which school, never what: no query string (it can name students), no body, no token.
        var client = Caller.ClientId(context.User) is { Length: > 0 } id ? id : null;
        var school = context.Features.Get<AuthorizedSchool>()?.Id;
        if (status is StatusCodes.Status401Unauthorized or StatusCodes.Status403Forbidden)
        {
            StatsApiMetrics.AuthFailed(status, errorCode ?? "unknown");
        }
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("statsapi.client_id", client);
            activity.SetTag("statsapi.school_id", school);
            activity.SetTag("statsapi.error_code", errorCode);
        }
        if (logger.IsEnabled(LogLevel.Information))
        {
            logger.Log(LogLevel.Information, RequestLine.Event,
                new RequestLine(context.Request.Method, context.Request.Path.Value, status, elapsed.TotalMilliseconds, client, school, errorCode),
                null, RequestLine.Format);
        }
    }

    // Echoed into headers and logs, so only a short, printable, header-safe id is accepted.
    [GeneratedRegex("^[A-Za-z0-9._:-]{1,128}\\z")]
    private static partial Regex SaneId();
}
