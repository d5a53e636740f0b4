using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;
using StatsApi.Http;

namespace StatsApi.Attendance;

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
    [Required, Positive(ErrorMessage = "student_id is required: a student of the school."), Description("A student of the school enrolled in the lesson's course.")]
    public long? StudentId { get; init; }

    [Required, MarkStatus, Description("present, absent, late or excused.")]
    public string? Status { get; init; }
}

/// <summary>A lesson's register: one mark per student, up to a class of 1,000. Marks already recorded are replaced.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
[Example("""{"marks":[{"student_id":22,"status":"present"},{"student_id":23,"status":"late"},{"student_id":24,"status":"absent"}]}""")]
internal sealed record RecordAttendanceRequest : IValidatableObject
{
    public const int MaxMarks = 1000;

    [Required, MinLength(1), MaxLength(MaxMarks, ErrorMessage = "marks is required: 1 to 1000 marks, one per student.")]
    public IReadOnlyList<MarkInput?>? Marks { get; init; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        var seen = new HashSet<long>();
        for (var i = 0; i < Marks!.Count; i++)
        {
            if (Marks[i]?.StudentId is > 0 and var student && !seen.Add(student))
            {
                yield return new ValidationResult($"Student {student} has another mark in this request.", [$"marks[{i}].student_id"]);
            }
        }
    }
}

[Example("""{"lesson_id":318,"created":0,"updated":2,"unchanged":1}""")]
internal sealed record RecordAttendanceResponse(long LessonId, int Created, int Updated, int Unchanged);

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
[Example("""{"status":"excused"}""")]
internal sealed record MarkChange
{
    [Required, MarkStatus, Description("present, absent, late or excused.")]
    public string? Status { get; init; }
}

/// <summary>What a mark says of the student: present, absent, late or excused.</summary>
[AttributeUsage(AttributeTargets.Property)]
internal sealed class MarkStatusAttribute : AllowedValuesAttribute
{
    public MarkStatusAttribute() : base("present", "absent", "late", "excused") =>
        ErrorMessage = "status is required: present, absent, late or excused.";
}
