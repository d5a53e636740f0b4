using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;
using StatsApi.Http;

namespace StatsApi.Lessons;

[Example($$"""{"lesson_id":318,"school_id":"oakwood-primary","course_id":1,"teacher_id":2,"starts_at":"2026-09-07T07:50:00+00:00","ends_at":"2026-09-07T08:40:00+00:00","room":"M1","marks":20,"created_at":"{{ExampleValues.Instant}}","updated_at":"{{ExampleValues.Instant}}"}""", NextPagePath = "/v1/schools/oakwood-primary/lessons", NextPageKey = """{"StartsAt":"2026-09-07T07:50:00+00:00","LessonId":318}""")]
internal sealed record LessonResponse
{
    public long LessonId { get; init; }

    public string SchoolId { get; init; } = "";

    public long CourseId { get; init; }

    /// <summary>Who teaches this lesson: the course's teacher unless another was named.</summary>
    public long TeacherId { get; init; }

    public DateTimeOffset StartsAt { get; init; }

    public DateTimeOffset EndsAt { get; init; }

    public string? Room { get; init; }

    /// <summary>Attendance marks recorded for the lesson.</summary>
    public long Marks { get; init; }

    public DateTime CreatedAt { get; init; }

    public DateTime UpdatedAt { get; init; }

    [JsonIgnore]
    public long Version { get; init; }
}

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
[Example("""{"course_id":1,"starts_at":"2026-11-23T09:00:00+00:00","ends_at":"2026-11-23T09:50:00+00:00","room":"B2"}""")]
internal sealed record NewLessonRequest
{
    [Required, Description("A course of the school.")]
    public long? CourseId { get; init; }

    [Description("A teacher of the school; the course's teacher when left out.")]
    public long? TeacherId { get; init; }

    [Required, Description("The start, an instant with its offset, e.g. 2026-09-07T08:50:00+01:00.")]
    public DateTimeOffset? StartsAt { get; init; }

    [Required, Description("The end: after the start, at most 12 hours later.")]
    public DateTimeOffset? EndsAt { get; init; }

    [MaxLength(40)]
    public string? Room { get; init; }

    public Dictionary<string, string[]> Validate()
    {
        var errors = new Dictionary<string, string[]>();
        if (CourseId is null or < 1)
        {
            errors["course_id"] = ["course_id is required: a course of the school."];
        }
        if (TeacherId is < 1)
        {
            errors["teacher_id"] = ["teacher_id must be a teacher of the school."];
        }
        LessonFields.CheckTimes(errors, StartsAt, EndsAt, required: true);
        LessonFields.CheckRoom(errors, Room);
        return errors;
    }
}

/// <summary>The fields to change; a field left out (or null) keeps its value. A lesson moved to another day carries its marks along.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
[Example("""{"room":"M2"}""")]
internal sealed record LessonChanges
{
    public long? CourseId { get; init; }

    public long? TeacherId { get; init; }

    public DateTimeOffset? StartsAt { get; init; }

    public DateTimeOffset? EndsAt { get; init; }

    [MaxLength(40)]
    public string? Room { get; init; }

    public Dictionary<string, string[]> Validate()
    {
        var errors = new Dictionary<string, string[]>();
        if (CourseId is < 1)
        {
            errors["course_id"] = ["course_id must be a course of the school."];
        }
        if (TeacherId is < 1)
        {
            errors["teacher_id"] = ["teacher_id must be a teacher of the school."];
        }
        LessonFields.CheckTimes(errors, StartsAt, EndsAt, required: false);
        LessonFields.CheckRoom(errors, Room);
        if (CourseId is null && TeacherId is null && StartsAt is null && EndsAt is null && Room is null)
        {
            errors["body"] = ["Name at least one field to change: course_id, teacher_id, starts_at, ends_at, room."];
        }
        return errors;
    }
}

internal static class LessonFields
{
    // Far enough for any timetable, near enough that a typo in the year is caught.
    private static readonly DateTimeOffset Earliest = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Latest = new(2100, 1, 1, 0, 0, 0, TimeSpan.Zero);
    public static readonly TimeSpan MaxLength = TimeSpan.FromHours(12);

    public static void CheckTimes(Dictionary<string, string[]> errors, DateTimeOffset? startsAt, DateTimeOffset? endsAt, bool required)
    {
        foreach (var (field, value) in new[] { ("starts_at", startsAt), ("ends_at", endsAt) })
        {
            if (value is null ? required : value < Earliest || value >= Latest)
            {
                errors[field] = [$"{field} is required: an instant with its offset between 2000 and 2099, e.g. 2026-09-07T08:50:00+01:00."];
            }
        }
        if (startsAt is { } start && endsAt is { } end && !errors.ContainsKey("starts_at") && !errors.ContainsKey("ends_at")
            && (end <= start || end - start > MaxLength))
        {
            errors["ends_at"] = ["ends_at must be after starts_at, and at most 12 hours later."];
        }
    }

    public static void CheckRoom(Dictionary<string, string[]> errors, string? room)
    {
        if (room is not null && (string.IsNullOrWhiteSpace(room) || room.Length > 40 || room.Any(char.IsControl)))
        {
            errors["room"] = ["room must be 1 to 40 characters, no control characters."];
        }
    }
}
