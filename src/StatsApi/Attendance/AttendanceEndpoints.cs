using System.ComponentModel;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.OpenApi;
using StatsApi.Auth;
using Npgsql;
using StatsApi.Http;
using StatsApi.Privacy;
using StatsApi.RateLimiting;
using StatsApi.Standbys;
using StatsApi.Tokens;
using StatsApi.Writes;

namespace StatsApi.Attendance;

internal static class AttendanceEndpoints
{
    public static RouteGroupBuilder MapAttendance(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/stats/v1/attendance").WithTags("Attendance");
        group.RequireScope(Scopes.AttendanceRead).RequireSchool(SchoolSource.Query);

        group.MapGet("/summary", GetSummaryAsync).ReadsOnStandby()
            .WithCost(OperationCosts.Summary)
            .WithName("GetAttendanceSummary")
            .WithSummary("Attendance totals for a school over a date range")
            .WithDescription("Counts of present, absent, late and excused marks and the attendance rate, for lessons that started between from and to (inclusive, in the school's time zone), optionally for one course, teacher or student and grouped by day, ISO week, month or course. A student's token counts their own marks only; a teacher's, the marks of the lessons they may read (the lessons of the courses they teach and the lessons they teach), and a course_id must name a course they teach. The answer's ETag changes whenever the answer would: a poll that sends it in If-None-Match is answered 304, without a body, until then.")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status410Gone)
            .AddOpenApiOperationTransformer((operation, _, _) =>
            {
                // Parsed by hand so each bad value is named in the 400; the contract still states the formats.
                foreach (var parameter in operation.Parameters?.OfType<OpenApiParameter>() ?? [])
                {
                    parameter.Required |= parameter.Name is "from" or "to";
                    parameter.Schema = parameter.Name switch
                    {
                        "from" or "to" => new OpenApiSchema { Type = JsonSchemaType.String, Format = "date" },
                        "course_id" or "teacher_id" or "student_id" => new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int64", Minimum = "1" },
                        "group_by" => new OpenApiSchema { Type = JsonSchemaType.String, Enum = ["day", "week", "month", "course"] },
                        _ => parameter.Schema,
                    };
                }
                return Task.CompletedTask;
            });
        return group;
    }

    private static async Task<Results<Ok<AttendanceSummary>, NotModified, ValidationProblem, ProblemHttpResult>> GetSummaryAsync(
        HttpContext http,
        SummaryQuery query,
        AuthorizedSchool school,
        NpgsqlDataSource primary,
        [Description("First day, ISO 8601 (2026-09-01).")] string? from,
        [Description("Last day, inclusive, ISO 8601; at most 366 days after from.")] string? to,
        [FromQuery(Name = "course_id"), Description("Only this course of the school.")] string? courseId,
        [FromQuery(Name = "group_by"), Description("Group by day, week (ISO), month or course.")] string? groupBy,
        [FromQuery(Name = "teacher_id"), Description("Only lessons this teacher taught.")] string? teacherId,
        [FromQuery(Name = "student_id"), Description("Only this student's marks.")] string? studentId,
        CancellationToken cancellationToken)
    {
        // AccessRules.ReadMark: a student's summary counts their own marks, a teacher's the marks of the lessons they may read.
        var narrowing = ListNarrowing.Of(http.User);
        studentId ??= narrowing.Own?.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var (request, errors) = SummaryRequest.Parse(school.Id, from, to, courseId, groupBy, teacherId, studentId);
        if (request is null)
        {
            return Problems.Validation(errors);
        }
        // AccessRules.ReadPerson: another student answers as missing.
        if (request.StudentId is { } student && !await http.MayAsync(AccessRules.ReadPerson, new PersonResource(student)))
        {
            return Problems.NotFound("student", "student_id", $"The school has no student {student}.");
        }
        if (request.StudentId is not null && await RetentionHorizons.MarksKeptFromAsync(primary, school.Id, cancellationToken) is { } keptFrom && request.From < keptFrom)
        {
            return RetentionHorizons.DetailExpired(keptFrom);
        }
        request = request with { Teaching = narrowing.Teacher };
        // The school check ran before this handler: a tag is only ever compared for an approved school.
        var answer = request.Fingerprint();
        switch (await query.RunAsync(request, Preconditions.IfNoneMatchVersion(http.Request, answer), cancellationToken))
        {
            case SummaryResult.Unchanged unchanged:
                SetValidators(http, Preconditions.ETagOf(unchanged.Version, answer));
                return NotModified.Answer;
            case SummaryResult.Found found:
                var etag = Preconditions.ETagOf(found.Version, answer);
                SetValidators(http, etag);
                if (Preconditions.IfNoneMatch(http.Request, etag))
                {
                    return NotModified.Answer;
                }
                if (request.StudentId is { } disclosed)
                {
                    await Disclosures.RecordAsync(http, primary, school.Id, disclosed, Disclosures.What.Summary);
                }
                return TypedResults.Ok(found.Summary);
            case SummaryResult.SchoolNotFound:
                return Problems.NotFound("school", $"No school has the id '{request.SchoolId}'.");
            case SummaryResult.FilterNotFound missing:
                return Problems.NotFound(missing.What, missing.Field, $"The school has no {missing.What} {missing.Id}.");
            default:
                throw new InvalidOperationException("Unhandled summary result.");
        }
    }

    // A cache may keep the answer for this caller alone, and must ask again before each use.
    private static void SetValidators(HttpContext http, string etag)
    {
        http.Response.Headers.ETag = etag;
        http.Response.Headers.CacheControl = "private, no-cache";
    }
}
