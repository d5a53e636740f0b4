using System.Text.RegularExpressions;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using StatsApi.Auth;
using StatsApi.Http;
using StatsApi.RateLimiting;
using StatsApi.Standbys;
using StatsApi.Tokens;

namespace StatsApi.Attendance;

/// <summary>A term's marks in one response: /v1/schools/{school_id}/attendance/export.</summary>
internal static partial class ExportEndpoints
{
    public static IEndpointRouteBuilder MapMarkExport(this IEndpointRouteBuilder routes)
    {
        routes.MapSchoolResource("attendance/export", "Attendance")
            .MapGet("", ExportAsync).RequireScope(Scopes.AttendanceRead).ReadsOnStandby()
            .WithCost(OperationCosts.ListPage)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .WithName("ExportAttendance").WithSummary("Every mark of a range of days, streamed")
            .WithDescription("NDJSON or CSV (RFC 4180), gzip when the request accepts it, in (lesson_id, student_id) order. Up to limit rows a response: "
                + "fewer means the export is complete; to resume, after an interruption too, send after=the last mark_id received. "
                + $"Besides its own cost, it takes a unit of the cost quota per {RowCosts.RowsPerUnit:N0} rows of limit, and gives back those of the rows it did not read. "
                + "A teacher's token exports the marks of the lessons they may read; a student's, their own.");
        return routes;
    }

    [GeneratedRegex(@"^(\d{1,18}):(\d{1,18})$")]
    private static partial Regex MarkId();

    private sealed record Bounds(DateTime Starts, DateTime Ends, string TimeZone);

    private static async Task<Results<MarkExport, ValidationProblem, ProblemHttpResult>> ExportAsync(
        HttpContext http, AuthorizedSchool school, ReadDataSource dataSource, [AsParameters] ExportQuery query)
    {
        var errors = new Dictionary<string, string[]>();
        if (query.From is null)
        {
            errors["from"] = ["from is required: the first day, e.g. 2026-09-01."];
        }
        if (query.To is null)
        {
            errors["to"] = ["to is required: the last day, e.g. 2026-12-18."];
        }
        else if (query.From is { } from && (query.To < from || query.To.Value.DayNumber - from.DayNumber > ExportQuery.MaxDays))
        {
            errors["to"] = [$"to must be on or after from, at most {ExportQuery.MaxDays} days later."];
        }
        var format = ExportFormat.Of(query.Format);
        if (format is null)
        {
            errors["format"] = ["format must be ndjson or csv."];
        }
        if (query.Limit is < 1 or > ExportQuery.MaxLimit)
        {
            errors["limit"] = [$"limit must be between 1 and {ExportQuery.MaxLimit}."];
        }
        var after = query.After is null ? null : MarkId().Match(query.After);
        if (after is { Success: false })
        {
            errors["after"] = ["after must be the mark_id of a row of the export, such as 318:22."];
        }
        if (errors.Count > 0)
        {
            return Problems.Validation(errors);
        }
        var limit = query.Limit ?? ExportQuery.DefaultLimit;
        var units = RowCosts.UnitsFor(limit);
        if (await RowCosts.TakeAsync(http, units) is { } refused)
        {
            return refused;
        }
        Bounds? bounds;
        await using (var connection = await dataSource.OpenConnectionAsync(http.RequestAborted))
        {
            bounds = await connection.QuerySingleOrDefaultAsync<Bounds>(new CommandDefinition("""
                select @from::date::timestamp at time zone time_zone as starts, (@to::date + 1)::timestamp at time zone time_zone as ends, time_zone
                from schools where school_id = @school
                """, new { school = school.Id, from = query.From, to = query.To }, cancellationToken: http.RequestAborted));
        }
        if (bounds is null)
        {
            await RowCosts.RefundAsync(http, units);
            return Problems.NotFound("school", $"There is no school {school.Id}.");
        }
        var range = new ExportRange(school.Id, new DateTimeOffset(bounds.Starts, TimeSpan.Zero), new DateTimeOffset(bounds.Ends, TimeSpan.Zero), bounds.TimeZone,
            after is null ? 0 : long.Parse(after.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture),
            after is null ? 0 : long.Parse(after.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture), limit);
        return new MarkExport(range, format!, units);
    }
}
