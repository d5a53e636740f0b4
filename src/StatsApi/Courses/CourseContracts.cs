using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;
using StatsApi.Http;

namespace StatsApi.Courses;

[Example($$"""{"course_id":1,"school_id":"oakwood-primary","code":"MATH-2A","name":"Mathematics 2A","teacher_id":2,"created_at":"{{ExampleValues.Instant}}","updated_at":"{{ExampleValues.Instant}}"}""", NextPagePath = "/v1/schools/oakwood-primary/courses", NextPageKey = """{"CourseId":1}""")]
internal sealed record CourseResponse
{
    public long CourseId { get; init; }

    public string SchoolId { get; init; } = "";

    public string Code { get; init; } = "";

    public string Name { get; init; } = "";

    /// <summary>The course's teacher, who records its attendance; null while none is assigned.</summary>
    public long? TeacherId { get; init; }

    public DateTime CreatedAt { get; init; }

    public DateTime UpdatedAt { get; init; }

    [JsonIgnore]
    public long Version { get; init; }
}

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
[Example("""{"code":"MUS-2A","name":"Music 2A","teacher_id":2}""")]
internal sealed record NewCourseRequest
{
    [Required, Text(40, ErrorMessage = CourseFields.Code), Description("Unique within the school, e.g. MA-7A.")]
    public string? Code { get; init; }

    [Required, Text(200, ErrorMessage = CourseFields.Name)]
    public string? Name { get; init; }

    [Description("A teacher of the school.")]
    public long? TeacherId { get; init; }
}

/// <summary>The fields to change; a field left out (or null) keeps its value.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
[AtLeastOneField]
[Example("""{"name":"Mathematics 2A (set 1)"}""")]
internal sealed record CourseChanges
{
    [Text(40, ErrorMessage = CourseFields.Code)]
    public string? Code { get; init; }

    [Text(200, ErrorMessage = CourseFields.Name)]
    public string? Name { get; init; }

    [Description("A teacher of the school.")]
    public long? TeacherId { get; init; }
}

[Example("""{"course_id":1,"student_id":22,"enrolled_on":"2026-09-01"}""", NextPagePath = "/v1/schools/oakwood-primary/courses/1/enrolments", NextPageKey = """{"StudentId":22}""")]
internal sealed record EnrolmentResponse(long CourseId, long StudentId, DateOnly EnrolledOn);

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
[Example("""{"enrolled_on":"2026-09-01"}""")]
internal sealed record EnrolmentRequest
{
    [Description("The day the student joined the course; today when left out.")]
    public DateOnly? EnrolledOn { get; init; }
}

internal static class CourseFields
{
    public const string Code = "code is required: 1 to 40 characters, no control characters.";
    public const string Name = "name is required: 1 to 200 characters, no control characters.";
}
