using System.Text.Json;
using System.Text.RegularExpressions;

namespace StatsApi.Http;

/// <summary>Names the field a request could not be bound from: a query or route value, or a place in the JSON body.</summary>
internal static partial class BindingFailure
{
    public static (string Field, string Message) Describe(BadHttpRequestException bad)
    {
        if (bad.InnerException is JsonException json)
        {
            if (UnmappedMember().Match(json.Message) is { Success: true } unmapped)
            {
                var name = unmapped.Groups["name"].Value;
                return (name, $"{name} is not a field of this request.");
            }
            var field = json.Path is null or "$" ? "body" : json.Path.StartsWith("$.", StringComparison.Ordinal) ? json.Path[2..] : json.Path;
            if (json.Message.StartsWith("Duplicate propert", StringComparison.Ordinal))
            {
                return (field, $"{field} is given more than once; send each field once.");
            }
            return field == "body"
                ? (field, "The body must be a JSON object of the documented shape.")
                : (field, $"{field} is missing a value or has one of the wrong type or format.");
        }
        if (Parameter().Match(bad.Message) is { Success: true } parameter)
        {
            var name = JsonNamingPolicy.SnakeCaseLower.ConvertName(parameter.Groups["name"].Value);
            return bad.Message.StartsWith("Required", StringComparison.Ordinal)
                ? (name, $"{name} is required.")
                : (name, $"{name} has a value of the wrong type or format: '{Truncate(parameter.Groups["value"].Value)}'.");
        }
        return ("body", bad.Message);
    }

    private static string Truncate(string value) => value.Length <= 40 ? value : value[..40] + "...";

    // The framework's own wording (RequestDelegateFactory, System.Text.Json); anything else falls back to its message.
    [GeneratedRegex("^(?:Failed to bind|Required) parameter \"[^\"]* (?<name>\\w+)\"(?: from \"(?<value>.*)\")?")]
    private static partial Regex Parameter();

    [GeneratedRegex("The JSON property '(?<name>[^']{1,100})' could not be mapped")]
    private static partial Regex UnmappedMember();
}
