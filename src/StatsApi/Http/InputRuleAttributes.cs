using System.ComponentModel.DataAnnotations;
using System.Net.Mail;

namespace StatsApi.Http;

/// <summary>
/// A line of text: 1 to <c>length</c> characters, not only spaces, no control characters. A MaxLength,
/// so the OpenAPI document states the length.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
internal sealed class TextAttribute(int length) : MaxLengthAttribute(length)
{
    public override bool IsValid(object? value) =>
        value is null || value is string text && text.Length <= Length && !string.IsNullOrWhiteSpace(text) && !text.Any(char.IsControl);
}

/// <summary>An id: 1 or more.</summary>
[AttributeUsage(AttributeTargets.Property)]
internal sealed class PositiveAttribute : ValidationAttribute
{
    public override bool IsValid(object? value) => value is null || Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture) > 0;
}

/// <summary>A plain e-mail address (name@school.example), without a display name or comments.</summary>
[AttributeUsage(AttributeTargets.Property)]
internal sealed class PlainEmailAttribute : ValidationAttribute
{
    public override bool IsValid(object? value) =>
        value is null || value is string email && MailAddress.TryCreate(email, out var parsed) && parsed.Address == email;
}

/// <summary>A body of changes must name at least one: every field left out would change nothing.</summary>
[AttributeUsage(AttributeTargets.Class)]
internal sealed class AtLeastOneFieldAttribute : ValidationAttribute
{
    protected override ValidationResult? IsValid(object? value, ValidationContext validationContext) =>
        value is null || value.GetType().GetProperties().Any(p => p.GetIndexParameters().Length == 0 && p.GetValue(value) is not null)
            ? ValidationResult.Success
            : new ValidationResult($"Name at least one field to change: {string.Join(", ", InputRules.FieldNames(value.GetType()))}.");
}
