using System.ComponentModel;
using Microsoft.AspNetCore.Mvc;
using StatsApi.Http;

namespace StatsApi.Attendance;

/// <summary>One mark of the export: a line of NDJSON, or a row of CSV under a header of the same names.</summary>
[Example("""{"mark_id":"318:22","lesson_id":318,"course_id":1,"course_code":"MATH-2A","student_id":22,"day":"2026-09-07","starts_at":"2026-09-07T07:50:00Z","status":"present","updated_at":"2026-09-07T08:50:00Z"}""")]
internal sealed record ExportRow(string MarkId, long LessonId, long CourseId, string CourseCode, long StudentId, DateOnly Day, DateTime StartsAt, string Status, DateTime UpdatedAt);

internal sealed class ExportQuery
{
    public const int DefaultLimit = 100_000;
    public const int MaxLimit = 1_000_000;
    public const int MaxDays = 400;

    [FromQuery(Name = "from"), Description("First day (ISO 8601, in the school's time zone).")]
    public DateOnly? From { get; init; }

    [FromQuery(Name = "to"), Description("Last day, inclusive; at most 400 days after from.")]
    public DateOnly? To { get; init; }

    [FromQuery(Name = "format"), Description("ndjson (the default) or csv (RFC 4180, with a header row).")]
    public string? Format { get; init; }

    [FromQuery(Name = "after"), Description("To resume: the mark_id of the last row received; the export goes on after it, in its order (lesson_id, student_id).")]
    public string? After { get; init; }

    [FromQuery(Name = "limit"), Description("Rows at most, 1 to 1,000,000; 100,000 when left out. Fewer rows than limit: the export is complete; as many: resume with after.")]
    public int? Limit { get; init; }
}
