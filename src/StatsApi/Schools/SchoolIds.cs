using System.Text.RegularExpressions;

namespace StatsApi.Schools;

/// <summary>School ids are lowercase slugs such as "oakwood-primary" (the schools table checks the same).</summary>
public static partial class SchoolIds
{
    public static bool IsValid(string? value) => value is not null && Format().IsMatch(value);

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{1,62}\\z")]
    private static partial Regex Format();
}
