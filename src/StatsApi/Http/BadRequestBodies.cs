using Microsoft.AspNetCore.Diagnostics;

namespace StatsApi.Http;

/// <summary>
/// Kestrel's and the framework's verdicts on a request (a body over the limit, a truncated body) keep
/// their own 4xx status instead of becoming a 500.
/// </summary>
internal sealed class BadRequestBodies(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not BadHttpRequestException bad)
        {
            return false;
        }
        httpContext.Response.StatusCode = bad.StatusCode;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = { Status = bad.StatusCode, Title = "The request could not be read.", Detail = bad.Message },
        });
    }
}
