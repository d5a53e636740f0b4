using StatsApi.Tokens;

namespace StatsApi.Auth;

/// <summary>What each role may be granted.</summary>
public static class PersonRoles
{
    private static readonly Dictionary<string, string[]> Granted = new(StringComparer.Ordinal)
    {
        // A school admin runs the school: everything but the platform's own administration.
        [Roles.Admin] = Scopes.All.Where(s => s != Scopes.Admin).ToArray(),
        // A teacher reads the school and keeps the timetable and registers of their own courses.
        [Roles.Teacher] = [Scopes.SchoolsRead, Scopes.UsersRead, Scopes.CoursesRead, Scopes.LessonsRead, Scopes.LessonsWrite, Scopes.AttendanceRead, Scopes.AttendanceWrite],
        // A student reads their own profile, lessons and attendance.
        [Roles.Student] = [Scopes.SchoolsRead, Scopes.UsersRead, Scopes.CoursesRead, Scopes.LessonsRead, Scopes.AttendanceRead],
    };

    /// <summary>The client's scopes narrowed to what the role may hold.</summary>
    public static IReadOnlyList<string> Narrow(IEnumerable<string> clientScopes, string role) =>
        Granted.TryGetValue(role, out var allowed) ? clientScopes.Where(allowed.Contains).ToList() : [];
}
