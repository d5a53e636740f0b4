using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using StatsApi.Http;

namespace StatsApi.Lessons;

/// <summary>A lesson as other features find it: by id within a school, with its count of marks.</summary>
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

    public static ProblemHttpResult NotFound(long lessonId) => Problems.NotFound("lesson", $"The school has no lesson {lessonId}.");
}
