using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using StatsApi.Auth;
using StatsApi.Http;

namespace StatsApi.Courses;

/// <summary>A course as other features find it: by id within a school, and as the access rules see it.</summary>
internal static class CourseLookup
{
    internal const string Columns = "course_id, school_id, code, name, teacher_id, created_at, updated_at, version";

    public static async Task<CourseResponse?> FindAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string school, long courseId,
        CancellationToken cancellationToken, bool forUpdate = false) =>
        await connection.QuerySingleOrDefaultAsync<CourseResponse>(new CommandDefinition(
            $"select {Columns} from courses where school_id = @school and course_id = @courseId {(forUpdate ? "for update" : "")}",
            new { school, courseId }, transaction, cancellationToken: cancellationToken));

    /// <summary>The course as the access rules see it, its teacher known (<see cref="AccessRules"/>).</summary>
    public static ICourseResource Resource(NpgsqlConnection connection, NpgsqlTransaction? transaction, CourseResponse course, CancellationToken cancellationToken) =>
        new CourseResource(connection, transaction, course.SchoolId, course.CourseId, course.TeacherId, teacherKnown: true, cancellationToken);

    /// <summary>The course as the access rules see it, its teacher read when a rule asks.</summary>
    public static ICourseResource Resource(NpgsqlConnection connection, NpgsqlTransaction? transaction, string school, long courseId, CancellationToken cancellationToken) =>
        new CourseResource(connection, transaction, school, courseId, null, teacherKnown: false, cancellationToken);

    // What a rule reads of a course, on the connection (and in the transaction) of the request that asks.
    private sealed class CourseResource(NpgsqlConnection connection, NpgsqlTransaction? transaction, string school, long courseId, long? teacher,
        bool teacherKnown, CancellationToken cancellationToken) : ICourseResource
    {
        private bool _teacherRead = teacherKnown;

        public long CourseId => courseId;

        public async ValueTask<long?> TeacherIdAsync()
        {
            if (!_teacherRead)
            {
                teacher = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
                    "select teacher_id from courses where school_id = @school and course_id = @courseId",
                    new { school, courseId }, transaction, cancellationToken: cancellationToken));
                _teacherRead = true;
            }
            return teacher;
        }

        public async ValueTask<bool> EnrolsAsync(long studentId) =>
            await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
                "select exists (select 1 from enrolments where school_id = @school and course_id = @courseId and student_id = @studentId)",
                new { school, courseId, studentId }, transaction, cancellationToken: cancellationToken));
    }

    public static ProblemHttpResult NotFound(long courseId) => Problems.NotFound("course", $"The school has no course {courseId}.");
}
