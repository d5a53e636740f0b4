using Microsoft.AspNetCore.Http.HttpResults;

namespace StatsApi.Http;

/// <summary>RFC 9457 problem responses with the fields every StatsApi error carries.</summary>
internal static class Problems
{
    public const string ErrorCode = "error_code";
    public const string DeveloperMessage = "developer_message";

    public static ProblemHttpResult Create(int status, string errorCode, string title, string detail, string? developerMessage = null) =>
        TypedResults.Problem(
            statusCode: status,
            title: title,
            detail: detail,
            extensions: new Dictionary<string, object?>
            {
                [ErrorCode] = errorCode,
                [DeveloperMessage] = developerMessage ?? detail,
            });

    public static ValidationProblem Validation(IDictionary<string, string[]> errors) =>
        TypedResults.ValidationProblem(
            errors,
            detail: "One or more fields are invalid: " + string.Join(", ", errors.Keys) + ".",
            title: "The request is invalid.",
            extensions: new Dictionary<string, object?>
            {
                [ErrorCode] = "validation_failed",
                [DeveloperMessage] = string.Join(" ", errors.SelectMany(e => e.Value)),
            });

    public static ValidationProblem Validation(string field, string message) =>
        Validation(new Dictionary<string, string[]> { [field] = [message] });

    public static ProblemHttpResult NotFound(string what, string detail) =>
        Create(StatusCodes.Status404NotFound, $"{what}_not_found", $"The {what.Replace('_', ' ')} was not found.", detail);

    /// <summary>404 for an id the request body names, with the field in errors.</summary>
    public static ProblemHttpResult NotFound(string what, string field, string detail) =>
        WithField(NotFound(what, detail), field, detail);

    /// <summary>409: the request collides with what is stored (a unique value taken, a state that forbids it).</summary>
    public static ProblemHttpResult Conflict(string errorCode, string field, string detail) =>
        WithField(Create(StatusCodes.Status409Conflict, errorCode, "The request conflicts with the stored data.", detail), field, detail);

    /// <summary>422: the request is well formed, but a field names something that cannot serve (a student where a teacher is needed).</summary>
    public static ProblemHttpResult Unprocessable(string errorCode, string field, string detail) =>
        WithField(Create(StatusCodes.Status422UnprocessableEntity, errorCode, "The request cannot be applied.", detail), field, detail);

    /// <summary>412: If-Match named a version that is no longer current.</summary>
    public static ProblemHttpResult StaleVersion(string what) =>
        Create(StatusCodes.Status412PreconditionFailed, "stale_version", $"The {what} has changed since it was read.",
            $"If-Match does not name the {what}'s current version: read it again (its ETag) and reapply the change.");

    private static ProblemHttpResult WithField(ProblemHttpResult result, string field, string detail)
    {
        result.ProblemDetails.Extensions["errors"] = new Dictionary<string, string[]> { [field] = [detail] };
        return result;
    }

    /// <summary>Fills the fields that every problem body carries, whoever produced it.</summary>
    public static void Complete(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        var http = context.HttpContext;
        problem.Instance ??= http.Request.Path;
        problem.Extensions["request_id"] = http.TraceIdentifier;
        problem.Extensions.TryAdd(ErrorCode, DefaultErrorCode(problem.Status ?? http.Response.StatusCode));
        problem.Extensions.TryAdd(DeveloperMessage, problem.Detail ?? problem.Title);
        if (problem.Status == StatusCodes.Status400BadRequest && context.Exception is BadHttpRequestException bad)
        {
            // Binding failures (malformed JSON, a query value of the wrong type) name the input at fault.
            var (field, message) = BindingFailure.Describe(bad, http);
            problem.Detail = message;
            problem.Extensions[DeveloperMessage] = bad.InnerException is System.Text.Json.JsonException json ? $"{message} ({json.Message})" : bad.Message;
            problem.Extensions[ErrorCode] = "validation_failed";
            problem.Extensions["errors"] = new Dictionary<string, string[]> { [field] = [message] };
        }
        if (problem.Extensions[ErrorCode] is string code)
        {
            AnsweredError.Record(http, code);
        }
    }

    private static string DefaultErrorCode(int status) => status switch
    {
        400 => "bad_request",
        401 => "invalid_token",
        403 => "forbidden",
        404 => "not_found",
        405 => "method_not_allowed",
        406 => "not_acceptable",
        409 => "conflict",
        413 => "payload_too_large",
        415 => "unsupported_media_type",
        429 => "rate_limited",
        431 => "headers_too_large",
        503 => "unavailable",
        _ when status >= 500 => "internal_error",
        _ => "error",
    };
}
