using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using StatsApi.Auth;
using StatsApi.Courses;
using StatsApi.Http;

namespace StatsApi.Lessons;

/// <summary>A lesson as other features find it: by id within a school, with its count of marks, and as the access rules see it.</summary>
internal static class LessonLookup
{
    internal const string Columns = """
        l.lesson_id, l.school_id, l.course_id, l.teacher_id, l.starts_at, l.ends_at, l.room, l.created_at, l.updated_at, l.version,
        (select count(*) from attendance_records a where a.school_id = l.school_id and a.lesson_id = l.lesson_id) as marks
        """;

    public static async Task<LessonResponse?> FindAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string school, long lessonId,
        CancellationToken cancellationToken) =>
        await connection.QuerySingleOrDefaultAsync<LessonResponse>(new CommandDefinition(
            $"select {Columns} from lessons l where l.school_id = @school and l.lesson_id = @lessonId",
            new { school, lessonId }, transaction, cancellationToken: cancellationToken));

    /// <summary>The lesson as the access rules see it (<see cref="AccessRules"/>); its course's teacher is read when a rule asks.</summary>
    public static ILessonResource Resource(NpgsqlConnection connection, NpgsqlTransaction? transaction, LessonResponse lesson, CancellationToken cancellationToken) =>
        new LessonResource(lesson.LessonId, lesson.TeacherId, CourseLookup.Resource(connection, transaction, lesson.SchoolId, lesson.CourseId, cancellationToken));

    private sealed record LessonResource(long LessonId, long TeacherId, ICourseResource Course) : ILessonResource;

    public static ProblemHttpResult NotFound(long lessonId) => Problems.NotFound("lesson", $"The school has no lesson {lessonId}.");
}
