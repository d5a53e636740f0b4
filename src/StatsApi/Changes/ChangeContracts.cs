using System.Text.Json;
using System.Text.Json.Serialization;
using StatsApi.Http;

namespace StatsApi.Changes;

/// <summary>
/// One change of the feed. upsert: data is the object as its GET answers it now. delete: the object is gone;
/// key names it and its parents (school-local ids; the service keeps no external ids).
/// </summary>
[Example($$$"""{"object":"lesson","action":"upsert","school_id":"oakwood-primary","key":{"lesson_id":318,"course_id":1,"teacher_id":2},"data":{"lesson_id":318,"school_id":"oakwood-primary","course_id":1,"teacher_id":2,"starts_at":"2026-09-07T07:50:00+00:00","ends_at":"2026-09-07T08:40:00+00:00","room":"M1","marks":20,"created_at":"{{{ExampleValues.Instant}}}","updated_at":"{{{ExampleValues.Instant}}}"}}""")]
internal sealed record ChangeResponse
{
    /// <summary>lesson, mark, enrolment, user or course.</summary>
    [JsonPropertyName("object")]
    public string ObjectType { get; init; } = "";

    /// <summary>upsert or delete.</summary>
    public string Action { get; init; } = "";

    public string SchoolId { get; init; } = "";

    /// <summary>The object's key and its parents' keys: lesson (lesson_id, course_id, teacher_id), mark (lesson_id, student_id, course_id, teacher_id), enrolment (course_id, student_id), user (user_id, role), course (course_id, teacher_id).</summary>
    public JsonElement Key { get; init; }

    /// <summary>For an upsert, the object as GET answers it (LessonResponse, MarkResponse, EnrolmentResponse, UserResponse, CourseResponse); absent for a delete.</summary>
    public object? Data { get; init; }
}

/// <summary>A page of changes in commit order; cursor is where the next request continues (after=cursor), also when the page is empty.</summary>
[Example($$$"""{"data":[{"object":"mark","action":"delete","school_id":"oakwood-primary","key":{"lesson_id":318,"student_id":22,"course_id":1,"teacher_id":2},"data":null},{"object":"lesson","action":"upsert","school_id":"oakwood-primary","key":{"lesson_id":318,"course_id":1,"teacher_id":2},"data":{"lesson_id":318,"school_id":"oakwood-primary","course_id":1,"teacher_id":2,"starts_at":"2026-09-07T07:50:00+00:00","ends_at":"2026-09-07T08:40:00+00:00","room":"M1","marks":19,"created_at":"{{{ExampleValues.Instant}}}","updated_at":"{{{ExampleValues.Instant}}}"}}],"cursor":"eyJTY2hvb2wiOiJvYWt3b29kLXByaW1hcnkiLCJUeGlkIjo5MDEyLCJDaGFuZ2UiOjQ0fQ","has_more":false,"next":"/v1/schools/oakwood-primary/changes?after=eyJTY2hvb2wiOiJvYWt3b29kLXByaW1hcnkiLCJUeGlkIjo5MDEyLCJDaGFuZ2UiOjQ0fQ"}""")]
internal sealed record ChangePage(IReadOnlyList<ChangeResponse> Data, string Cursor, bool HasMore, string Next);

/// <summary>The oldest and newest cursors the feed holds: a cursor older than oldest answers 410 cursor_expired.</summary>
[Example("""{"oldest":"eyJTY2hvb2wiOiJvYWt3b29kLXByaW1hcnkiLCJUeGlkIjowLCJDaGFuZ2UiOjB9","newest":"eyJTY2hvb2wiOiJvYWt3b29kLXByaW1hcnkiLCJUeGlkIjo5MDEyLCJDaGFuZ2UiOjQ0fQ","retention_days":30}""")]
internal sealed record AvailableChanges(string Oldest, string Newest, int RetentionDays);
