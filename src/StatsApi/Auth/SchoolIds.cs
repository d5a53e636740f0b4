using System.Text.RegularExpressions;

namespace StatsApi.Auth;

/// <summary>School ids are lowercase slugs such as "oakwood-primary" (the schools table checks the same).</summary>
internal static partial class SchoolIds
{
    /// <summary>The format as the contract states it (ECMA-262, where $ ends the string).</summary>
    public const string Pattern = "^[a-z0-9][a-z0-9-]{1,62}$";

    public static bool IsValid(string? value) => value is not null && Format().IsMatch(value);

    // \z rather than $: .NET's $ also matches before a final newline.
    [GeneratedRegex("^[a-z0-9][a-z0-9-]{1,62}\\z")]
    private static partial Regex Format();
}
