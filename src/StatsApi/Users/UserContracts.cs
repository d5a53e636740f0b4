using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;
using StatsApi.Auth;
using StatsApi.Http;

namespace StatsApi.Users;

/// <summary>A person of the school: a student, a teacher or an admin.</summary>
[Example($$"""{"user_id":2,"school_id":"oakwood-primary","role":"teacher","given_name":"Ivy","family_name":"Johnson","email":"ivy.johnson.2@oakwood-primary.example","active":true,"created_at":"{{ExampleValues.Instant}}","updated_at":"{{ExampleValues.Instant}}"}""", NextPagePath = "/v1/schools/oakwood-primary/users", NextPageKey = """{"UserId":2}""")]
internal sealed record UserResponse
{
    public long UserId { get; init; }

    public string SchoolId { get; init; } = "";

    public string Role { get; init; } = "";

    public string GivenName { get; init; } = "";

    public string FamilyName { get; init; } = "";

    public string? Email { get; init; }

    public bool Active { get; init; }

    public DateTime CreatedAt { get; init; }

    public DateTime UpdatedAt { get; init; }

    /// <summary>Sent as the ETag header, not in the body.</summary>
    [JsonIgnore]
    public long Version { get; init; }
}

// A misspelt field is an error, not a silent no-op.
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
[Example("""{"role":"student","given_name":"Maya","family_name":"Okafor","email":"maya.okafor@oakwood-primary.example"}""")]
internal sealed record NewUserRequest
{
    [Required, AllowedValues(Roles.Student, Roles.Teacher, Roles.Admin, ErrorMessage = "role is required: student, teacher or admin."), Description("student, teacher or admin.")]
    public string? Role { get; init; }

    [Required, Text(100, ErrorMessage = UserFields.GivenName)]
    public string? GivenName { get; init; }

    [Required, Text(100, ErrorMessage = UserFields.FamilyName)]
    public string? FamilyName { get; init; }

    [MaxLength(254), PlainEmail(ErrorMessage = UserFields.Email), Description("Unique within the school, compared without case.")]
    public string? Email { get; init; }
}

/// <summary>The fields to change; a field left out (or null) keeps its value. active: false deactivates the person.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
[AtLeastOneField]
[Example("""{"family_name":"Johnson-Reid"}""")]
internal sealed record UserChanges
{
    [Text(100, ErrorMessage = UserFields.GivenName)]
    public string? GivenName { get; init; }

    [Text(100, ErrorMessage = UserFields.FamilyName)]
    public string? FamilyName { get; init; }

    [MaxLength(254), PlainEmail(ErrorMessage = UserFields.Email)]
    public string? Email { get; init; }

    [Description("false deactivates the person: their tokens stop working; their records stay.")]
    public bool? Active { get; init; }
}

internal static class UserFields
{
    public const string GivenName = "given_name is required: 1 to 100 characters, no control characters.";
    public const string FamilyName = "family_name is required: 1 to 100 characters, no control characters.";
    public const string Email = "email must be a plain address such as name@school.example, at most 254 characters.";
}
