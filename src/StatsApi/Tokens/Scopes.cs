namespace StatsApi.Tokens;

/// <summary>The scopes a client can be granted; an operation names the one it needs.</summary>
internal static class Scopes
{
    public const string AttendanceRead = "attendance:read";
    public const string AttendanceWrite = "attendance:write";
    public const string CoursesRead = "courses:read";
    public const string CoursesWrite = "courses:write";
    public const string LessonsRead = "lessons:read";
    public const string LessonsWrite = "lessons:write";
    public const string SchoolsRead = "schools:read";
    // Names and emails of people are returned only under this scope.
    public const string UsersRead = "users:read";
    public const string UsersWrite = "users:write";
    // A person's whole record (the export, the record of disclosures) and its erasure: a school's
    // data-protection work, apart from the daily reads and writes of users:read and users:write.
    public const string PrivacyRead = "privacy:read";
    public const string PrivacyWrite = "privacy:write";
    public const string Admin = "admin";

    public static IReadOnlySet<string> All { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        AttendanceRead, AttendanceWrite, CoursesRead, CoursesWrite, LessonsRead, LessonsWrite, SchoolsRead, UsersRead, UsersWrite, PrivacyRead, PrivacyWrite, Admin,
    };
}

/// <summary>The three client tiers; each maps to a rate-limit policy.</summary>
internal static class Tiers
{
    public static IReadOnlyList<string> All { get; } = ["free", "standard", "premium"];

    /// <summary>Higher grants more; an unknown tier ranks below every known one.</summary>
    public static int Rank(string tier)
    {
        for (var rank = 0; rank < All.Count; rank++)
        {
            if (All[rank] == tier)
            {
                return rank;
            }
        }
        return -1;
    }
}
