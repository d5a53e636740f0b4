using Microsoft.AspNetCore.Diagnostics;
using Npgsql;

namespace StatsApi.Http;

/// <summary>
/// Database failures that are not bugs: an unreachable database is an outage (503 with Retry-After); a
/// write that kept losing to concurrent writes after its retries is a conflict the client can retry (409).
/// </summary>
public sealed class DatabaseUnavailable(IProblemDetailsService problems, ILogger<DatabaseUnavailable> logger) : IExceptionHandler
{
    public enum Verdict { NotOurs, Outage, WriteConflict }

    /// <summary>What an exception says about the database; one place decides what counts as an outage.</summary>
    public static Verdict Judge(Exception exception) => exception switch
    {
        PostgresException { SqlState: PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure } => Verdict.WriteConflict,
        NpgsqlException { IsTransient: true } or TimeoutException => Verdict.Outage,
        NpgsqlException { InnerException: System.Net.Sockets.SocketException or TimeoutException } => Verdict.Outage,
        _ => Verdict.NotOurs,
    };

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var verdict = Judge(exception);
        if (verdict == Verdict.NotOurs)
        {
            return false;
        }
        var outage = verdict == Verdict.Outage;
        if (outage)
        {
            logger.LogError(exception, "Database unavailable");
        }
        else
        {
            logger.LogWarning("A write lost to concurrent writes after its retries ({SqlState})", (exception as PostgresException)?.SqlState);
        }
        var status = outage ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status409Conflict;
        httpContext.Response.StatusCode = status;
        httpContext.Response.Headers.RetryAfter = outage ? "5" : "1";
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails =
            {
                Status = status,
                Title = outage ? "The service is briefly unavailable." : "A concurrent write conflicted with this one.",
                Detail = outage
                    ? "The database did not answer; retry after the delay in Retry-After."
                    : "Other writes to the same records kept conflicting with this one; nothing was changed. Retry after the delay in Retry-After.",
                Extensions = { [Problems.ErrorCode] = outage ? "database_unavailable" : "write_conflict" },
            },
        });
    }
}
