using Microsoft.AspNetCore.Diagnostics;
using Npgsql;

namespace StatsApi.Http;

/// <summary>A database that cannot be reached is the service's trouble, not a bug: 503 with Retry-After.</summary>
public sealed class DatabaseUnavailable(IProblemDetailsService problems, ILogger<DatabaseUnavailable> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var unavailable = exception is NpgsqlException { IsTransient: true } or TimeoutException ||
            exception is NpgsqlException { InnerException: System.Net.Sockets.SocketException or TimeoutException };
        if (!unavailable)
        {
            return false;
        }
        logger.LogError(exception, "Database unavailable");
        httpContext.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        httpContext.Response.Headers.RetryAfter = "5";
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails =
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = "The service is briefly unavailable.",
                Detail = "The database did not answer; retry after the delay in Retry-After.",
                Extensions = { [Problems.ErrorCode] = "database_unavailable" },
            },
        });
    }
}
