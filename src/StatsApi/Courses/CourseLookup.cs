using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using StatsApi.Auth;
using StatsApi.Http;

namespace StatsApi.Courses;

/// <summary>A course as other features find it: by id within a school, and whether a student may see it.</summary>
internal static class CourseLookup
{
    internal const string Columns = "course_id, school_id, code, name, teacher_id, created_at, updated_at, version";

    public static async Task<CourseResponse?> FindAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string school, long courseId,
        CancellationToken cancellationToken, bool forUpdate = false) =>
        await connection.QuerySingleOrDefaultAsync<CourseResponse>(new CommandDefinition(
            $"select {Columns} from courses where school_id = @school and course_id = @courseId {(forUpdate ? "for update" : "")}",
            new { school, courseId }, transaction, cancellationToken: cancellationToken));

    /// <summary>A student sees only the courses they are enrolled in; anyone else sees every course of the school.</summary>
    public static async Task<bool> StudentMaySeeAsync(NpgsqlConnection connection, HttpContext http, string school, long courseId) =>
        Caller.ActingStudent(http.User) is not { } student ||
        await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "select exists (select 1 from enrolments where school_id = @school and course_id = @courseId and student_id = @student)",
            new { school, courseId, student }, cancellationToken: http.RequestAborted));

    public static ProblemHttpResult NotFound(long courseId) => Problems.NotFound("course", $"The school has no course {courseId}.");
}
