namespace StatsApi.Auth;

/// <summary>The roles a person holds in a school.</summary>
internal static class Roles
{
    public const string Student = "student";
    public const string Teacher = "teacher";
    public const string Admin = "admin";

    public static IReadOnlyList<string> All { get; } = [Student, Teacher, Admin];
}
