using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using NpgsqlTypes;
using StatsApi.Tests.Infrastructure;
using StatsApi.Tokens;

namespace StatsApi.Tests;

/// <summary>
/// The change feed's capture (migrations 0015, 0016) for statements of many rows: a register, a COPY, an
/// update and a delete of several marks, several people and enrolments at once. Each transaction leaves one
/// change_log row per object it changed, carrying the keys the feed's tombstones are made of.
/// </summary>
public class ChangeLogStatementTests(StatsApiFactory app) : IClassFixture<StatsApiFactory>
{
    private sealed record Logged(string Txid, string ObjectType, string ObjectKey, string Ref);

    private sealed record School(string Id, long Teacher, long Course, long[] Students);

    private async Task<School> NewSchoolAsync(int students)
    {
        var school = "stmt-" + Guid.NewGuid().ToString("N")[..10];
        await using var connection = await app.DataSource.OpenConnectionAsync();
        await connection.ExecuteAsync("insert into schools (school_id, name) values (@school, 'Statement School')", new { school });
        var teacher = await connection.ExecuteScalarAsync<long>(
            "insert into users (school_id, role, given_name, family_name) values (@school, 'teacher', 'Tess', 'Board') returning user_id", new { school });
        var course = await connection.ExecuteScalarAsync<long>(
            "insert into courses (school_id, code, name, teacher_id) values (@school, 'ST-1', 'Statements', @teacher) returning course_id", new { school, teacher });
        var ids = (await connection.QueryAsync<long>("""
            insert into users (school_id, role, given_name, family_name)
            select @school, 'student', 'Pupil', 'No ' || n from generate_series(1, @students) n
            returning user_id
            """, new { school, students })).Order().ToArray();
        await connection.ExecuteAsync("""
            insert into enrolments (school_id, course_id, student_id, enrolled_on)
            select @school, @course, s, date '2026-09-01' from unnest(@ids) s
            """, new { school, course, ids });
        return new School(school, teacher, course, ids);
    }

    private async Task<long> NewLessonAsync(School school, DateTimeOffset start)
    {
        await using var connection = await app.DataSource.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<long>("""
            insert into lessons (school_id, course_id, teacher_id, starts_at, ends_at)
            values (@school, @course, @teacher, @start, @start + interval '50 minutes') returning lesson_id
            """, new { school = school.Id, school.Course, school.Teacher, start });
    }

    private async Task<List<Logged>> LogAsync(string school)
    {
        await using var connection = await app.DataSource.OpenConnectionAsync();
        return [.. await connection.QueryAsync<Logged>(
            "select txid::text, object_type, object_key, ref::text from change_log where school_id = @school order by change_id", new { school })];
    }

    /// <summary>The rows of the one transaction that ran <paramref name="write"/>, after asserting there was exactly one.</summary>
    private async Task<List<Logged>> LoggedByAsync(string school, Func<Task> write)
    {
        var before = (await LogAsync(school)).Select(r => r.Txid).ToHashSet();
        await write();
        var added = (await LogAsync(school)).Where(r => !before.Contains(r.Txid)).ToList();
        Assert.Single(added.Select(r => r.Txid).Distinct());
        return added;
    }

    private static Dictionary<string, object?> Keys(params (string Name, object? Value)[] keys) => keys.ToDictionary(k => k.Name, k => k.Value);

    private static Dictionary<string, object?> MarkRef(School s, long lesson, long student) =>
        Keys(("lesson_id", lesson), ("student_id", student), ("course_id", s.Course), ("teacher_id", s.Teacher));

    private static Dictionary<string, object?> LessonRef(School s, long lesson) =>
        Keys(("lesson_id", lesson), ("course_id", s.Course), ("teacher_id", s.Teacher));

    /// <summary>Exactly these objects, each once, each with this ref.</summary>
    private static void AssertLogged(List<Logged> logged, Dictionary<(string Type, string Key), Dictionary<string, object?>> expected)
    {
        Assert.Equal(expected.Keys.Order(), logged.Select(r => (r.ObjectType, r.ObjectKey)).Order());
        foreach (var row in logged)
        {
            var want = JsonSerializer.SerializeToNode(expected[(row.ObjectType, row.ObjectKey)]);
            Assert.True(JsonNode.DeepEquals(want, JsonNode.Parse(row.Ref)), $"{row.ObjectType} {row.ObjectKey}: {row.Ref}, not {want!.ToJsonString()}");
        }
    }

    private static Dictionary<(string, string), Dictionary<string, object?>> MarksAndLesson(School s, long lesson, IEnumerable<long> students)
    {
        var expected = students.ToDictionary(student => ("mark", $"{lesson}:{student}"), student => MarkRef(s, lesson, student));
        expected[("lesson", $"{lesson}")] = LessonRef(s, lesson);
        return expected;
    }

    [Fact]
    public async Task ARegisterOfAClassLogsEachMarkAndItsLessonOnce()
    {
        var school = await NewSchoolAsync(students: 25);
        var lesson = await NewLessonAsync(school, new DateTimeOffset(2026, 10, 5, 9, 0, 0, TimeSpan.Zero));
        var client = await app.CreateClientWithScopesAsync([school.Id], Scopes.AttendanceWrite);
        var path = $"/v1/schools/{school.Id}/lessons/{lesson}/attendance";

        var register = await LoggedByAsync(school.Id, async () =>
            (await client.PostAsJsonAsync(path, new { marks = school.Students.Select(s => new { student_id = s, status = "present" }) })).EnsureSuccessStatusCode());
        AssertLogged(register, MarksAndLesson(school, lesson, school.Students));

        // Sent again with two marks changed: the unchanged marks are left alone, and so is their log.
        var changed = school.Students.Take(2).ToArray();
        var corrected = await LoggedByAsync(school.Id, async () =>
            (await client.PostAsJsonAsync(path, new { marks = school.Students.Select(s => new { student_id = s, status = changed.Contains(s) ? "late" : "present" }) }))
            .EnsureSuccessStatusCode());
        AssertLogged(corrected, MarksAndLesson(school, lesson, changed));
    }

    [Fact]
    public async Task ACopyOfManyLessonsMarksLogsEachMarkAndEachLessonOnceEvenWhenTheTransactionWritesThemAgain()
    {
        var school = await NewSchoolAsync(students: 30);
        var lessons = new[]
        {
            await NewLessonAsync(school, new DateTimeOffset(2026, 10, 6, 9, 0, 0, TimeSpan.Zero)),
            await NewLessonAsync(school, new DateTimeOffset(2026, 10, 6, 10, 0, 0, TimeSpan.Zero)),
            await NewLessonAsync(school, new DateTimeOffset(2026, 10, 6, 11, 0, 0, TimeSpan.Zero)),
        };

        var copied = await LoggedByAsync(school.Id, async () =>
        {
            await using var connection = await app.DataSource.OpenConnectionAsync();
            await using var transaction = await connection.BeginTransactionAsync();
            await using (var writer = await connection.BeginBinaryImportAsync(
                "copy attendance_records (school_id, lesson_id, student_id, status) from stdin (format binary)"))
            {
                foreach (var lesson in lessons)
                {
                    foreach (var student in school.Students)
                    {
                        await writer.StartRowAsync();
                        await writer.WriteAsync(school.Id, NpgsqlDbType.Text);
                        await writer.WriteAsync(lesson, NpgsqlDbType.Bigint);
                        await writer.WriteAsync(student, NpgsqlDbType.Bigint);
                        await writer.WriteAsync("present", NpgsqlDbType.Text);
                    }
                }
                await writer.CompleteAsync();
            }
            // The same marks again in the same transaction: still one row each.
            await connection.ExecuteAsync(
                "update attendance_records set status = 'absent' where school_id = @school and lesson_id = @lesson",
                new { school = school.Id, lesson = lessons[0] }, transaction);
            await transaction.CommitAsync();
        });

        AssertLogged(copied, lessons.SelectMany(l => MarksAndLesson(school, l, school.Students)).ToDictionary());
    }

    [Fact]
    public async Task AnUpdateAndADeleteOfSeveralMarksLogEachMarkAndTheirLessonOnceWithTheKeysOfTheirTombstones()
    {
        var school = await NewSchoolAsync(students: 12);
        var lesson = await NewLessonAsync(school, new DateTimeOffset(2026, 10, 7, 9, 0, 0, TimeSpan.Zero));
        await using var connection = await app.DataSource.OpenConnectionAsync();
        await connection.ExecuteAsync("""
            insert into attendance_records (school_id, lesson_id, student_id, status)
            select @school, @lesson, s, 'present' from unnest(@students) s
            """, new { school = school.Id, lesson, students = school.Students });
        var some = school.Students.Where((_, i) => i % 3 == 0).ToArray();

        var updated = await LoggedByAsync(school.Id, () => connection.ExecuteAsync(
            "update attendance_records set status = 'excused' where school_id = @school and lesson_id = @lesson and student_id = any(@some)",
            new { school = school.Id, lesson, some }));
        AssertLogged(updated, MarksAndLesson(school, lesson, some));

        var deleted = await LoggedByAsync(school.Id, () => connection.ExecuteAsync(
            "delete from attendance_records where school_id = @school and lesson_id = @lesson", new { school = school.Id, lesson }));
        AssertLogged(deleted, MarksAndLesson(school, lesson, school.Students));
    }

    [Fact]
    public async Task SeveralPeopleEnrolmentsAndLessonsInOneStatementAreLoggedOnceEach()
    {
        var school = await NewSchoolAsync(students: 1);
        await using var connection = await app.DataSource.OpenConnectionAsync();
        long[] people = [];
        var added = await LoggedByAsync(school.Id, async () => people = [.. await connection.QueryAsync<long>("""
            insert into users (school_id, role, given_name, family_name)
            select @school, 'student', 'New', 'No ' || n from generate_series(1, 5) n returning user_id
            """, new { school = school.Id })]);
        AssertLogged(added, people.ToDictionary(p => ("user", $"{p}"), p => Keys(("user_id", p), ("role", "student"))));

        var enrolled = await LoggedByAsync(school.Id, () => connection.ExecuteAsync("""
            insert into enrolments (school_id, course_id, student_id, enrolled_on)
            select @school, @course, s, date '2026-09-01' from unnest(@people) s
            """, new { school = school.Id, school.Course, people }));
        AssertLogged(enrolled, people.ToDictionary(p => ("enrolment", $"{school.Course}:{p}"), p => Keys(("course_id", school.Course), ("student_id", p))));

        var unenrolled = await LoggedByAsync(school.Id, () => connection.ExecuteAsync(
            "delete from enrolments where school_id = @school and student_id = any(@people)", new { school = school.Id, people }));
        AssertLogged(unenrolled, people.ToDictionary(p => ("enrolment", $"{school.Course}:{p}"), p => Keys(("course_id", school.Course), ("student_id", p))));

        var lessons = new[]
        {
            await NewLessonAsync(school, new DateTimeOffset(2026, 10, 8, 9, 0, 0, TimeSpan.Zero)),
            await NewLessonAsync(school, new DateTimeOffset(2026, 10, 8, 10, 0, 0, TimeSpan.Zero)),
        };
        var moved = await LoggedByAsync(school.Id, () => connection.ExecuteAsync(
            "update lessons set room = 'B2' where school_id = @school and lesson_id = any(@lessons)", new { school = school.Id, lessons }));
        AssertLogged(moved, lessons.ToDictionary(l => ("lesson", $"{l}"), l => LessonRef(school, l)));
    }

    [Fact]
    public async Task TheFeedsTriggersFireOncePerStatement()
    {
        await using var connection = await app.DataSource.OpenConnectionAsync();
        // pg_trigger.tgtype bit 0 is FOR EACH ROW: a row trigger would log a COPY of a million marks a row at a time.
        var triggers = (await connection.QueryAsync<(string Name, bool ForEachRow)>(
            "select tgname, (tgtype & 1) = 1 from pg_trigger where tgname like 'change_log%' and not tgisinternal")).ToList();
        Assert.Equal(15, triggers.Count);
        Assert.All(triggers, t => Assert.False(t.ForEachRow, t.Name));
    }
}
