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
    [Required, Positive(ErrorMessage = "course_id is required: a course of the school."), Description("A course of the school.")]
    public long? CourseId { get; init; }

    [Positive(ErrorMessage = LessonFields.TeacherId), Description("A teacher of the school; the course's teacher when left out.")]
    public long? TeacherId { get; init; }

    [Required, LessonTime(ErrorMessage = LessonFields.StartsAt), Description("The start, an instant with its offset, e.g. 2026-09-07T08:50:00+01:00.")]
    public DateTimeOffset? StartsAt { get; init; }

    [Required, LessonTime(ErrorMessage = LessonFields.EndsAt), LessonEnd(ErrorMessage = LessonFields.Span), Description("The end: after the start, at most 12 hours later.")]
    public DateTimeOffset? EndsAt { get; init; }

    [Text(40, ErrorMessage = LessonFields.Room)]
    public string? Room { get; init; }
}

/// <summary>The fields to change; a field left out (or null) keeps its value. A lesson moved to another day carries its marks along.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
[AtLeastOneField]
[Example("""{"room":"M2"}""")]
internal sealed record LessonChanges
{
    [Positive(ErrorMessage = "course_id must be a course of the school.")]
    public long? CourseId { get; init; }

    [Positive(ErrorMessage = LessonFields.TeacherId)]
    public long? TeacherId { get; init; }

    [LessonTime(ErrorMessage = LessonFields.StartsAt)]
    public DateTimeOffset? StartsAt { get; init; }

    [LessonTime(ErrorMessage = LessonFields.EndsAt), LessonEnd(ErrorMessage = LessonFields.Span)]
    public DateTimeOffset? EndsAt { get; init; }

    [Text(40, ErrorMessage = LessonFields.Room)]
    public string? Room { get; init; }
}

internal static class LessonFields
{
    public const string TeacherId = "teacher_id must be a teacher of the school.";
    public const string StartsAt = "starts_at is required: an instant with its offset between 2000 and 2099, e.g. 2026-09-07T08:50:00+01:00.";
    public const string EndsAt = "ends_at is required: an instant with its offset between 2000 and 2099, e.g. 2026-09-07T08:50:00+01:00.";
    public const string Span = "ends_at must be after starts_at, and at most 12 hours later.";
    public const string Room = "room must be 1 to 40 characters, no control characters.";

    public static readonly TimeSpan MaxLength = TimeSpan.FromHours(12);

    public static bool Fits(DateTimeOffset start, DateTimeOffset end) => end > start && end - start <= MaxLength;
}

/// <summary>An instant in 2000 to 2099: far enough for any timetable, near enough that a typo in the year is caught.</summary>
[AttributeUsage(AttributeTargets.Property)]
internal sealed class LessonTimeAttribute : ValidationAttribute
{
    private static readonly DateTimeOffset Earliest = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Latest = new(2100, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public override bool IsValid(object? value) => value is not DateTimeOffset time || time >= Earliest && time < Latest;
}

/// <summary>The end of a lesson whose start is given: after it, at most 12 hours later.</summary>
[AttributeUsage(AttributeTargets.Property)]
internal sealed class LessonEndAttribute : ValidationAttribute
{
    protected override ValidationResult? IsValid(object? value, ValidationContext validationContext)
    {
        var start = validationContext.ObjectType.GetProperty("StartsAt")?.GetValue(validationContext.ObjectInstance) as DateTimeOffset?;
        var time = new LessonTimeAttribute();
        return value is not DateTimeOffset end || start is null || !time.IsValid(start) || !time.IsValid(end) || LessonFields.Fits(start.Value, end)
            ? ValidationResult.Success
            : new ValidationResult(ErrorMessage);
    }
}
