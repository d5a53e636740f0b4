using Microsoft.AspNetCore.Diagnostics;
using Npgsql;
using StatsApi.Http;

namespace StatsApi.Data;

internal enum DatabaseFailure
{
    /// <summary>Not a database failure this handler answers: a bug, left to the 500 path.</summary>
    None,

    /// <summary>The database cannot be reached, or did not answer within the statement timeout: 503 with Retry-After.</summary>
    Outage,

    /// <summary>A concurrent write deadlocked or conflicted with this one and escaped its retries: 409 with Retry-After.</summary>
    WriteConflict,
}

/// <summary>
/// The one place that decides which database failures are the service's trouble rather than a bug: an
/// unreachable or unanswering database is an outage; a deadlock or serialization failure is a write
/// conflict, which the database resolved by aborting this request, and never an outage.
/// </summary>
internal sealed class DatabaseUnavailable(IProblemDetailsService problems, ILogger<DatabaseUnavailable> logger, TimeProvider time) : IExceptionHandler
{
    // Under an outage every request fails alike: one error with its exception per interval says as much
    // as thousands, and the count of the others keeps the log honest.
    public static readonly TimeSpan OutageLogInterval = TimeSpan.FromSeconds(10);
    private long _lastOutageLogged = long.MinValue;
    private long _unloggedOutages;

    /// <summary>
    /// A failure that came from the database or the way to it, which a background task waits out and tries
    /// again; anything else is a bug and must not be swallowed.
    /// </summary>
    public static bool IsFromTheDatabase(Exception exception) =>
        exception is NpgsqlException or TimeoutException or System.Net.Sockets.SocketException;

    public static DatabaseFailure Classify(Exception exception) => exception switch
    {
        _ when WriteTransactions.IsWriteConflict(exception) => DatabaseFailure.WriteConflict,
        // Cancelled by the server's statement_timeout: the database did not answer in time.
        PostgresException { SqlState: PostgresErrorCodes.QueryCanceled } => DatabaseFailure.Outage,
        // Includes an exhausted pool: no connection came free within Database:ConnectionTimeoutSeconds (a TimeoutException inside).
        NpgsqlException { IsTransient: true } or TimeoutException => DatabaseFailure.Outage,
        NpgsqlException { InnerException: System.Net.Sockets.SocketException or TimeoutException } => DatabaseFailure.Outage,
        _ => DatabaseFailure.None,
    };

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var failure = Classify(exception);
        if (failure == DatabaseFailure.None)
        {
            return false;
        }
        var outage = failure == DatabaseFailure.Outage;
        if (outage)
        {
            LogOutage(exception);
        }
        else
        {
            logger.LogWarning("A write conflicted with a concurrent one ({SqlState}) and was refused", ((PostgresException)exception).SqlState);
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
                Title = outage ? "The service is briefly unavailable." : "A concurrent write conflicted with this request.",
                Detail = outage
                    ? "The database did not answer; retry after the delay in Retry-After."
                    : "Another request changed the same data at the same moment; the request can be retried after the delay in Retry-After.",
                Extensions = { [Problems.ErrorCode] = outage ? "database_unavailable" : "write_conflict" },
            },
        });
    }

    private void LogOutage(Exception exception)
    {
        var now = time.GetTimestamp();
        var last = Interlocked.Read(ref _lastOutageLogged);
        var due = last == long.MinValue || time.GetElapsedTime(last, now) >= OutageLogInterval;
        if (due && Interlocked.CompareExchange(ref _lastOutageLogged, now, last) == last)
        {
            var since = Interlocked.Exchange(ref _unloggedOutages, 0);
            logger.LogError(exception, "Database unavailable ({Unlogged} more requests answered 503 since the last report)", since);
        }
        else
        {
            Interlocked.Increment(ref _unloggedOutages);
        }
    }
}
