using System.ComponentModel;
using StatsApi.Http;

namespace StatsApi.Privacy;

/// <summary>
/// Everything the service holds about one person (GDPR Art. 15), as one document: who they are, their
/// courses, their marks, their API tokens (never a secret or its hash), what was done to their record
/// and by whom, and to whom their data was disclosed.
/// </summary>
[Example($$"""
    {"exported_at":"{{ExampleValues.Instant}}",
     "profile":{"user_id":22,"school_id":"oakwood-primary","role":"student","given_name":"Maya","family_name":"Okafor","email":"maya.okafor@oakwood-primary.example","active":true,"created_at":"{{ExampleValues.Instant}}","updated_at":"{{ExampleValues.Instant}}"},
     "enrolments":[{"course_id":1,"code":"MATH-7A","name":"Mathematics 7A","enrolled_on":"2026-09-01"}],
     "courses_taught":[],
     "marks":[{"lesson_id":1,"course_id":1,"starts_at":"2026-09-01T07:50:00Z","status":"present","recorded_by":2,"recorded_at":"2026-09-01T08:50:00Z"}],
     "api_tokens":[{"token_id":1,"name":"Gradebook sync","prefix":"sta_Xk3pQ9","created_at":"{{ExampleValues.Instant}}","last_used_at":"2026-09-07T08:49:12Z"}],
     "events":[{"occurred_at":"{{ExampleValues.Instant}}","client_id":"{{ExampleValues.ClientId}}","person_id":null,"request_id":"{{ExampleValues.RequestId}}","action":"create","object_type":"user"}],
     "disclosures":[{"disclosure_id":1,"occurred_at":"{{ExampleValues.Instant}}","client_id":"{{ExampleValues.ClientId}}","person_id":null,"request_id":"{{ExampleValues.RequestId}}","what":"export"}]}
    """)]
internal sealed record PersonExport
{
    public DateTime ExportedAt { get; init; }

    public required ExportedProfile Profile { get; init; }

    [Description("The courses the person is enrolled in.")]
    public IReadOnlyList<ExportedEnrolment> Enrolments { get; init; } = [];

    [Description("The courses the person teaches.")]
    public IReadOnlyList<ExportedCourse> CoursesTaught { get; init; } = [];

    [Description("The person's attendance marks, oldest lesson first; marks past the school's retention are no longer held.")]
    public IReadOnlyList<ExportedMark> Marks { get; init; } = [];

    [Description("The person's API tokens: their names and prefixes, never the token or its hash.")]
    public IReadOnlyList<ExportedApiToken> ApiTokens { get; init; } = [];

    [Description("What was done to or read of the person's record, and by which client and person.")]
    public IReadOnlyList<ExportedEvent> Events { get; init; } = [];

    [Description("The record of disclosures of the person's data (FERPA 99.32), this export's own included.")]
    public IReadOnlyList<DisclosureResponse> Disclosures { get; init; } = [];
}

/// <summary>The person as the users table holds them.</summary>
internal sealed record ExportedProfile(long UserId, string SchoolId, string Role, string GivenName, string FamilyName, string? Email, bool Active,
    DateTime CreatedAt, DateTime UpdatedAt);

internal sealed record ExportedEnrolment(long CourseId, string Code, string Name, DateOnly EnrolledOn);

internal sealed record ExportedCourse(long CourseId, string Code, string Name);

internal sealed record ExportedMark(long LessonId, long CourseId, DateTime StartsAt, string Status, long? RecordedBy, DateTime RecordedAt);

internal sealed record ExportedApiToken(long TokenId, string Name, string Prefix, DateTime CreatedAt, DateTime? LastUsedAt);

internal sealed record ExportedEvent(DateTime OccurredAt, string ClientId, long? PersonId, string RequestId, string Action, string ObjectType);

/// <summary>One disclosure of a student's data: which client, acting for which person (null for an application's own token), in which request, when, and what.</summary>
[Example($$"""{"disclosure_id":1,"occurred_at":"{{ExampleValues.Instant}}","client_id":"{{ExampleValues.ClientId}}","person_id":2,"request_id":"{{ExampleValues.RequestId}}","what":"marks"}""", NextPagePath = "/v1/schools/oakwood-primary/users/22/disclosures", NextPageKey = """{"DisclosureId":1}""")]
internal sealed record DisclosureResponse
{
    public long DisclosureId { get; init; }

    public DateTime OccurredAt { get; init; }

    public string ClientId { get; init; } = "";

    public long? PersonId { get; init; }

    public string RequestId { get; init; } = "";

    [Description("profile, marks, mark, summary or export.")]
    public string What { get; init; } = "";
}
