using System.Text.Json;
using Dapper;
using Npgsql;
using StatsApi.Attendance;
using StatsApi.Auth;
using StatsApi.Courses;
using StatsApi.Lessons;
using StatsApi.Users;

namespace StatsApi.Changes;

/// <summary>
/// Turns log rows into changes: each object as its resource's GET answers it now (the resources' own columns
/// and contracts), or a tombstone when it is gone, and only what the caller may read by the resources' own
/// rules (<see cref="AccessRules"/>). An object named twice in a page is answered once, at its last place.
/// </summary>
internal sealed class ChangeReader(HttpContext http, NpgsqlConnection connection, NpgsqlTransaction transaction, string school)
{
    private CancellationToken Cancellation => http.RequestAborted;

    private sealed record Ref(long? LessonId, long? CourseId, long? TeacherId, long? StudentId, long? UserId);

    private static readonly JsonSerializerOptions RefJson = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public async Task<List<ChangeResponse>> ReadAsync(IReadOnlyList<LogRow> rows)
    {
        var last = rows.Select((row, index) => (row, index)).GroupBy(r => (r.row.ObjectType, r.row.ObjectKey)).ToDictionary(g => g.Key, g => g.Max(r => r.index));
        var refs = rows.Select(r => JsonSerializer.Deserialize<Ref>(r.Ref, RefJson)!).ToList();
        long[] Ids(string type, Func<Ref, long?> id) =>
            rows.Select((r, i) => (r, i)).Where(x => x.r.ObjectType == type).Select(x => id(refs[x.i]) ?? 0).Distinct().ToArray();

        var lessonIds = Ids("lesson", r => r.LessonId).Union(Ids("mark", r => r.LessonId)).ToArray();
        var lessons = await ByKeyAsync<LessonResponse, long>(
            $"select {LessonLookup.Columns} from lessons l where l.school_id = @school and l.lesson_id = any(@lessonIds)", new { school, lessonIds }, l => l.LessonId);
        var courses = await ByKeyAsync<CourseResponse, long>(
            $"select {CourseLookup.Columns} from courses where school_id = @school and course_id = any(@courseIds)", new { school, courseIds = Ids("course", r => r.CourseId) }, c => c.CourseId);
        var users = await ByKeyAsync<UserResponse, long>(
            $"select {People.Columns} from users where school_id = @school and user_id = any(@userIds)", new { school, userIds = Ids("user", r => r.UserId) }, u => u.UserId);
        var markRefs = refs.Where((_, i) => rows[i].ObjectType == "mark").ToList();
        var marks = await ByKeyAsync<MarkResponse, (long, long)>($"""
            select {MarkEndpoints.Columns} from attendance_records
            where school_id = @school and (lesson_id, student_id) in (select * from unnest(@markLessons, @markStudents))
            """, new { school, markLessons = markRefs.Select(r => r.LessonId ?? 0).ToArray(), markStudents = markRefs.Select(r => r.StudentId ?? 0).ToArray() },
            m => (m.LessonId, m.StudentId));
        var enrolmentRefs = refs.Where((_, i) => rows[i].ObjectType == "enrolment").ToList();
        var enrolments = await ByKeyAsync<EnrolmentResponse, (long, long)>($"""
            select {EnrolmentEndpoints.Columns} from enrolments
            where school_id = @school and (course_id, student_id) in (select * from unnest(@enrolmentCourses, @enrolmentStudents))
            """, new { school, enrolmentCourses = enrolmentRefs.Select(r => r.CourseId ?? 0).ToArray(), enrolmentStudents = enrolmentRefs.Select(r => r.StudentId ?? 0).ToArray() },
            e => (e.CourseId, e.StudentId));

        var changes = new List<ChangeResponse>();
        for (var i = 0; i < rows.Count; i++)
        {
            var row = rows[i];
            if (last[(row.ObjectType, row.ObjectKey)] != i)
            {
                continue;
            }
            var r = refs[i];
            object? current = row.ObjectType switch
            {
                "lesson" => lessons.GetValueOrDefault(r.LessonId ?? 0),
                "mark" => marks.GetValueOrDefault((r.LessonId ?? 0, r.StudentId ?? 0)),
                "enrolment" => enrolments.GetValueOrDefault((r.CourseId ?? 0, r.StudentId ?? 0)),
                "user" => users.GetValueOrDefault(r.UserId ?? 0),
                _ => courses.GetValueOrDefault(r.CourseId ?? 0),
            };
            if (!await MayReadAsync(row.ObjectType, r, current, lessons))
            {
                continue;
            }
            changes.Add(new ChangeResponse
            {
                ObjectType = row.ObjectType,
                Action = current is null ? "delete" : "upsert",
                SchoolId = school,
                Key = JsonDocument.Parse(row.Ref).RootElement,
                Data = current,
            });
        }
        return changes;
    }

    // The rule of the object's own GET (or list, for an enrolment); a gone object is judged by its keys as it was last written.
    private async Task<bool> MayReadAsync(string type, Ref r, object? current, Dictionary<long, LessonResponse> lessons)
    {
        ILessonResource LessonOf() => LessonLookup.Resource(connection, transaction,
            lessons.GetValueOrDefault(r.LessonId ?? 0) ?? new LessonResponse { LessonId = r.LessonId ?? 0, SchoolId = school, CourseId = r.CourseId ?? 0, TeacherId = r.TeacherId ?? 0 },
            Cancellation);
        ICourseResource CourseOf() => current is CourseResponse course
            ? CourseLookup.Resource(connection, transaction, course, Cancellation)
            : CourseLookup.Resource(connection, transaction, school, r.CourseId ?? 0, Cancellation);
        return type switch
        {
            "lesson" => await http.MayAsync(AccessRules.ReadLesson, LessonOf()),
            "mark" => await http.MayAsync(AccessRules.ReadMark, new MarkResource(LessonOf(), r.StudentId ?? 0)),
            "enrolment" => await http.MayAsync(AccessRules.ReadCourse, CourseOf()) && await http.MayAsync(AccessRules.ReadPerson, new PersonResource(r.StudentId ?? 0)),
            "user" => await http.MayAsync(AccessRules.ReadPerson, new PersonResource(r.UserId ?? 0)),
            _ => await http.MayAsync(AccessRules.ReadCourse, CourseOf()),
        };
    }

    private async Task<Dictionary<TKey, T>> ByKeyAsync<T, TKey>(string sql, object parameters, Func<T, TKey> keyOf) where TKey : notnull =>
        (await connection.QueryAsync<T>(new CommandDefinition(sql, parameters, transaction, cancellationToken: Cancellation))).ToDictionary(keyOf);
}
