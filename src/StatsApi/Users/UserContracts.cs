using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Net.Mail;
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
    [Required, Description("student, teacher or admin.")]
    public string? Role { get; init; }

    [Required, MaxLength(100)]
    public string? GivenName { get; init; }

    [Required, MaxLength(100)]
    public string? FamilyName { get; init; }

    [MaxLength(254), Description("Unique within the school, compared without case.")]
    public string? Email { get; init; }

    public Dictionary<string, string[]> Validate()
    {
        var errors = new Dictionary<string, string[]>();
        if (Role is null || !Roles.All.Contains(Role))
        {
            errors["role"] = ["role is required: student, teacher or admin."];
        }
        UserFields.CheckName(errors, "given_name", GivenName, required: true);
        UserFields.CheckName(errors, "family_name", FamilyName, required: true);
        UserFields.CheckEmail(errors, Email);
        return errors;
    }
}

/// <summary>The fields to change; a field left out (or null) keeps its value. active: false deactivates the person.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
[Example("""{"family_name":"Johnson-Reid"}""")]
internal sealed record UserChanges
{
    [MaxLength(100)]
    public string? GivenName { get; init; }

    [MaxLength(100)]
    public string? FamilyName { get; init; }

    [MaxLength(254)]
    public string? Email { get; init; }

    [Description("false deactivates the person: their tokens stop working; their records stay.")]
    public bool? Active { get; init; }

    public Dictionary<string, string[]> Validate()
    {
        var errors = new Dictionary<string, string[]>();
        UserFields.CheckName(errors, "given_name", GivenName, required: false);
        UserFields.CheckName(errors, "family_name", FamilyName, required: false);
        UserFields.CheckEmail(errors, Email);
        if (GivenName is null && FamilyName is null && Email is null && Active is null)
        {
            errors["body"] = ["Name at least one field to change: given_name, family_name, email, active."];
        }
        return errors;
    }
}

internal static class UserFields
{
    public static void CheckName(Dictionary<string, string[]> errors, string field, string? value, bool required)
    {
        if (value is null ? required : string.IsNullOrWhiteSpace(value) || value.Length > 100 || value.Any(char.IsControl))
        {
            errors[field] = [$"{field} is required: 1 to 100 characters, no control characters."];
        }
    }

    public static void CheckEmail(Dictionary<string, string[]> errors, string? email)
    {
        if (email is not null && (email.Length > 254 || !MailAddress.TryCreate(email, out var parsed) || parsed.Address != email))
        {
            errors["email"] = ["email must be a plain address such as name@school.example, at most 254 characters."];
        }
    }
}
