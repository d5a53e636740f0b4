using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;
using StatsApi.Http;

namespace StatsApi.Attendance;

internal static class MarkStatuses
{
    public static IReadOnlyList<string> All { get; } = ["present", "absent", "late", "excused"];
}

/// <summary>One student's mark in one lesson.</summary>
[Example("""{"lesson_id":318,"student_id":22,"status":"present","recorded_by":2,"recorded_at":"2026-09-07T08:50:00Z"}""", NextPagePath = "/v1/schools/oakwood-primary/lessons/318/attendance", NextPageKey = """{"StudentId":22}""")]
internal sealed record MarkResponse
{
    public long LessonId { get; init; }

    public long StudentId { get; init; }

    /// <summary>present, absent, late or excused.</summary>
    public string Status { get; init; } = "";

    /// <summary>The person who recorded it, when a person's token did; null for an application's own token.</summary>
    public long? RecordedBy { get; init; }

    public DateTime RecordedAt { get; init; }

    [JsonIgnore]
    public long Version { get; init; }
}

/// <summary>A student's mark with the lesson it belongs to.</summary>
[Example("""{"lesson_id":1,"course_id":1,"teacher_id":2,"starts_at":"2026-09-01T07:50:00+00:00","status":"present","recorded_at":"2026-09-01T08:50:00Z"}""", NextPagePath = "/v1/schools/oakwood-primary/students/22/attendance", NextPageKey = """{"StartsAt":"2026-09-01T07:50:00+00:00","LessonId":1}""")]
internal sealed record StudentMarkResponse
{
    public long LessonId { get; init; }

    public long CourseId { get; init; }

    public long TeacherId { get; init; }

    public DateTimeOffset StartsAt { get; init; }

    public string Status { get; init; } = "";

    public DateTime RecordedAt { get; init; }
}

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
[Example("""{"student_id":22,"status":"present"}""")]
internal sealed record MarkInput
{
    [Required, Description("A student of the school enrolled in the lesson's course.")]
    public long? StudentId { get; init; }

    [Required, Description("present, absent, late or excused.")]
    public string? Status { get; init; }
}

/// <summary>A lesson's register: one mark per student, up to a class of 1,000. Marks already recorded are replaced.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
[Example("""{"marks":[{"student_id":22,"status":"present"},{"student_id":23,"status":"late"},{"student_id":24,"status":"absent"}]}""")]
internal sealed record RecordAttendanceRequest
{
    public const int MaxMarks = 1000;

    [Required, MinLength(1), MaxLength(MaxMarks)]
    public IReadOnlyList<MarkInput?>? Marks { get; init; }

    public Dictionary<string, string[]> Validate()
    {
        var errors = new Dictionary<string, string[]>();
        if (Marks is null || Marks.Count is 0 or > MaxMarks)
        {
            errors["marks"] = [$"marks is required: 1 to {MaxMarks} marks, one per student."];
            return errors;
        }
        var seen = new HashSet<long>();
        for (var i = 0; i < Marks.Count; i++)
        {
            var mark = Marks[i];
            if (mark?.StudentId is not > 0)
            {
                errors[$"marks[{i}].student_id"] = ["student_id is required: a student of the school."];
            }
            else if (!seen.Add(mark.StudentId.Value))
            {
                errors[$"marks[{i}].student_id"] = [$"Student {mark.StudentId} has another mark in this request."];
            }
            if (mark?.Status is null || !MarkStatuses.All.Contains(mark.Status))
            {
                errors[$"marks[{i}].status"] = ["status is required: present, absent, late or excused."];
            }
        }
        return errors;
    }
}

[Example("""{"lesson_id":318,"created":0,"updated":2,"unchanged":1}""")]
internal sealed record RecordAttendanceResponse(long LessonId, int Created, int Updated, int Unchanged);

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
[Example("""{"status":"excused"}""")]
internal sealed record MarkChange
{
    [Required, Description("present, absent, late or excused.")]
    public string? Status { get; init; }

    public Dictionary<string, string[]> Validate() =>
        Status is not null && MarkStatuses.All.Contains(Status)
            ? []
            : new() { ["status"] = ["status is required: present, absent, late or excused."] };
}
