using StatsApi.Tokens;

namespace StatsApi.Changes;

/// <summary>The kinds of object the feed carries: the name types= takes, the object a change names, and the scope its resource needs.</summary>
internal sealed record ChangeKind(string Type, string Object, string Scope)
{
    public static IReadOnlyList<ChangeKind> All { get; } =
    [
        new("lessons", "lesson", Scopes.LessonsRead),
        new("marks", "mark", Scopes.AttendanceRead),
        new("enrolments", "enrolment", Scopes.CoursesRead),
        new("users", "user", Scopes.UsersRead),
        new("courses", "course", Scopes.CoursesRead),
    ];

    public static string Names => string.Join(", ", All.Select(k => k.Type));
}
