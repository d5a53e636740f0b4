using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using StatsApi.Http;

namespace StatsApi.Privacy;

/// <summary>
/// Why a person is erased. The reason is one of a fixed list and the reference a case number of the
/// school's own, never free text: the record of the erasure outlives the person and must not name them.
/// </summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
[Example("""{"reason":"erasure_request","reference":"DPO-2026-014"}""")]
internal sealed record ErasureRequest
{
    [Required, ErasureReason, Description("erasure_request (GDPR Art. 17), left_school, entered_in_error, retention_policy or other.")]
    public string? Reason { get; init; }

    [MaxLength(64), CaseReference, Description("The school's own case reference: letters, digits and - _ / . only, never a name.")]
    public string? Reference { get; init; }
}

[AttributeUsage(AttributeTargets.Property)]
internal sealed class ErasureReasonAttribute : AllowedValuesAttribute
{
    public ErasureReasonAttribute() : base("erasure_request", "left_school", "entered_in_error", "retention_policy", "other") =>
        ErrorMessage = $"reason is required: one of {string.Join(", ", Values)}.";
}

/// <summary>A case number: letters, digits, '-', '_', '/' or '.', so it cannot carry a name with its spaces.</summary>
[AttributeUsage(AttributeTargets.Property)]
internal sealed partial class CaseReferenceAttribute : ValidationAttribute
{
    public CaseReferenceAttribute() =>
        ErrorMessage = "reference must be 1 to 64 letters, digits, '-', '_', '/' or '.': a case number, not a name.";

    public override bool IsValid(object? value) => value is null || value is string reference && Shape().IsMatch(reference);

    [GeneratedRegex("^[A-Za-z0-9_./-]{1,64}$")]
    private static partial Regex Shape();
}

/// <summary>The person is erased: since when, and why. Asked again, the same answer.</summary>
[Example($$"""{"school_id":"oakwood-primary","user_id":22,"erased_at":"{{ExampleValues.Instant}}","reason":"erasure_request","reference":"DPO-2026-014","api_tokens_revoked":1}""")]
internal sealed record ErasureResponse
{
    public string SchoolId { get; init; } = "";

    public long UserId { get; init; }

    public DateTime ErasedAt { get; init; }

    public string Reason { get; init; } = "";

    public string? Reference { get; init; }

    [Description("The person's API tokens deleted by the erasure (0 when asked again).")]
    public int ApiTokensRevoked { get; init; }
}
