using Microsoft.AspNetCore.Diagnostics;
using Npgsql;
using StatsApi.Http;

namespace StatsApi.Data;

/// <summary>
/// The last line behind the endpoints' own checks: a constraint the database enforced (a concurrent
/// change removed what the request refers to, or took a unique value first) is a 409 naming the field,
/// never a 500.
/// </summary>
internal sealed class ConstraintViolations(IProblemDetailsService problems, ILogger<ConstraintViolations> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not PostgresException { SqlState: PostgresErrorCodes.ForeignKeyViolation or PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.CheckViolation } violation)
        {
            return false;
        }
        logger.LogWarning("A write broke constraint {Constraint} ({SqlState})", violation.ConstraintName, violation.SqlState);
        var field = FieldOf(violation.ConstraintName);
        var (code, detail) = violation.SqlState switch
        {
            PostgresErrorCodes.ForeignKeyViolation => ("reference_changed", $"{field} refers to something that was removed or changed meanwhile; read it again and retry."),
            PostgresErrorCodes.UniqueViolation => ("duplicate", $"Another record has this {field}."),
            _ => ("constraint_failed", $"{field} breaks a rule of the stored data."),
        };
        httpContext.Response.StatusCode = StatusCodes.Status409Conflict;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails =
            {
                Status = StatusCodes.Status409Conflict,
                Title = "The request conflicts with the stored data.",
                Detail = detail,
                Extensions =
                {
                    [Problems.ErrorCode] = code,
                    ["errors"] = new Dictionary<string, string[]> { [field] = [detail] },
                },
            },
        });
    }

    // PostgreSQL names keys table_columns_key/_fkey, and every school table's keys lead with school_id:
    // what follows it is the field. A few constraints carry names of their own.
    private static string FieldOf(string? constraint)
    {
        if (constraint is null)
        {
            return "body";
        }
        var named = constraint switch
        {
            "users_email" or "users_email_shape" => "email",
            "courses_teacher" => "teacher_id",
            _ => null,
        };
        if (named is not null)
        {
            return named;
        }
        var trimmed = constraint.EndsWith("_fkey", StringComparison.Ordinal) ? constraint[..^5]
            : constraint.EndsWith("_key", StringComparison.Ordinal) ? constraint[..^4]
            : constraint;
        var after = trimmed.IndexOf("_school_id_", StringComparison.Ordinal);
        return after >= 0 ? trimmed[(after + "_school_id_".Length)..] : trimmed;
    }
}
