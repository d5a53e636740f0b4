using System.ComponentModel;
using System.Globalization;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Npgsql;
using StatsApi.Auth;
using StatsApi.Courses;
using StatsApi.Docs;
using StatsApi.Http;
using StatsApi.Lessons;
using StatsApi.Paging;
using StatsApi.Privacy;
using StatsApi.RateLimiting;
using StatsApi.Standbys;
using StatsApi.Tokens;
using StatsApi.Writes;

namespace StatsApi.Attendance;

internal sealed class StudentMarksQuery : PageQuery
{
    [FromQuery(Name = "from"), Description("First day (ISO 8601, in the school's time zone).")]
    public DateOnly? From { get; init; }

    [FromQuery(Name = "to"), Description("Last day, inclusive.")]
    public DateOnly? To { get; init; }
}

/// <summary>Attendance marks: a lesson's register, one student's mark, and a student's marks over a range of days.</summary>
internal static class MarkEndpoints
{
    internal const string Columns = "lesson_id, student_id, status, recorded_by, recorded_at, version";

    public static IEndpointRouteBuilder MapMarks(this IEndpointRouteBuilder routes)
    {
        var register = routes.MapSchoolResource("lessons/{lesson_id:long}/attendance", "Attendance");
        register.MapGet("", ListAsync).RequireScope(Scopes.AttendanceRead).ReadsOnStandby()
            .WithCost(OperationCosts.ListPage)
            .WithName("ListLessonAttendance").WithSummary("A lesson's marks")
            .WithDescription("One mark per student, in student id order. The lesson must be one the caller may read (404 otherwise); a student sees their own mark only.");
        register.MapPost("", RecordAsync).RequireScope(Scopes.AttendanceWrite).WithIdempotencyKey()
            .WithCost(OperationCosts.Register)
            .WithName("RecordAttendance").WithSummary("Record a lesson's register")
            .WithDescription("A teacher's token changes only the registers of courses they teach (403 not_your_course). Up to 1,000 marks in one request, one per student enrolled in the lesson's course; a student's earlier mark is replaced. All or nothing. Send an Idempotency-Key to make a retry safe.");
        register.MapGet("/{student_id:long}", GetAsync).RequireScope(Scopes.AttendanceRead).WithVersion().ReadsOnStandby()
            .WithName("GetMark").WithSummary("One student's mark in a lesson")
            .WithDescription("A teacher acting through a tool reads the marks of the lessons they may read; a student, their own; another answers 404. The ETag header carries the version for If-Match.");
        register.MapPatch("/{student_id:long}", CorrectAsync).RequireScope(Scopes.AttendanceWrite).WithVersion()
            .WithName("CorrectMark").WithSummary("Correct one mark")
            .WithDescription("A teacher's token changes only the registers of courses they teach (403 not_your_course). With If-Match, a stale version is 412.");
        register.MapDelete("/{student_id:long}", DeleteAsync).RequireScope(Scopes.AttendanceWrite).WithVersion()
            .WithName("DeleteMark").WithSummary("Delete one mark")
            .WithDescription("A teacher's token changes only the registers of courses they teach (403 not_your_course). With If-Match, a stale version is 412.");

        var student = routes.MapSchoolResource("students/{student_id:long}/attendance", "Attendance");
        student.MapGet("", ListStudentAsync).RequireScope(Scopes.AttendanceRead).ReadsOnStandby()
            .WithCost(OperationCosts.ListPage)
            .WithName("ListStudentAttendance").WithSummary("A student's marks over a range of days")
            .WithDescription("A student's token reads their own marks only; a teacher's, the student's marks in the lessons the teacher may read. In order of the lessons' start; each read is audited.");
        return routes;
    }

    private sealed record StudentKey(long StudentId);

    private sealed record LessonKey(DateTimeOffset StartsAt, long LessonId);

    private static async Task<Results<Ok<Page<MarkResponse>>, ValidationProblem, ProblemHttpResult>> ListAsync(
        HttpContext http, AuthorizedSchool school, ReadDataSource dataSource, [FromRoute(Name = "lesson_id")] long lessonId, [AsParameters] PageQuery page)
    {
        var errors = new Dictionary<string, string[]>();
        var after = page.Check<StudentKey>(errors);
        if (errors.Count > 0)
        {
            return Problems.Validation(errors);
        }
        await using var connection = await dataSource.OpenConnectionAsync(http.RequestAborted);
        if (await LessonLookup.FindAsync(connection, null, school.Id, lessonId, http.RequestAborted) is not { } lesson
            || !await http.MayAsync(AccessRules.ReadLesson, LessonLookup.Resource(connection, null, lesson, http.RequestAborted)))
        {
            return LessonLookup.NotFound(lessonId);
        }
        // AccessRules.ReadMark in SQL (@self): a student's register holds their own mark only.
        var rows = (await connection.QueryAsync<MarkResponse>(new CommandDefinition($"""
            select {Columns} from attendance_records
            where school_id = @school and lesson_id = @lessonId and (@after::bigint is null or student_id > @after)
              and (@self::bigint is null or student_id = @self)
            order by student_id limit @limit
            """, new { school = school.Id, lessonId, after = after?.StudentId, limit = page.Size + 1, self = ListNarrowing.Of(http.User).Own },
            cancellationToken: http.RequestAborted))).ToList();
        return TypedResults.Ok(page.ToPage(http.Request, rows, r => new StudentKey(r.StudentId)));
    }

    private sealed record Candidate(int Position, long StudentId, string? Role, bool Active, bool Enrolled);

    private sealed record Recorded(string Unfit, int Created, int Changed);

    private static async Task<Results<Written<Ok<RecordAttendanceResponse>>, ValidationProblem, ProblemHttpResult>> RecordAsync(
        HttpContext http, AuthorizedSchool school, SchoolWrites writes, [FromRoute(Name = "lesson_id")] long lessonId, RecordAttendanceRequest body)
    {
        if (InputRules.Refuses(body, out var refusal))
        {
            return refusal;
        }
        var marks = body.Marks!.Select(m => m!).ToList();
        var students = marks.Select(m => m.StudentId!.Value).ToArray();
        return await writes.RunAsync(http, school, body, async scope =>
        {
            // Held until commit: the lesson cannot be deleted or moved under the register being written.
            if (await scope.Connection.ExecuteScalarAsync<long?>(new CommandDefinition(
                "select course_id from lessons where school_id = @school and lesson_id = @lessonId for share",
                new { school = school.Id, lessonId }, scope.Transaction, cancellationToken: scope.Cancellation)) is not { } course)
            {
                return LessonLookup.NotFound(lessonId);
            }
            if (!await http.MayAsync(AccessRules.ChangeLessons, CourseLookup.Resource(scope.Connection, scope.Transaction, school.Id, course, scope.Cancellation)))
            {
                return AccessRules.NotYourCourse(course, "lesson_id");
            }

            // One statement for the class: every student checked, and only when all may be marked, the
            // marks upserted (unchanged ones left alone) and the write audited.
            var recorded = await scope.Connection.QuerySingleAsync<Recorded>(new CommandDefinition("""
                with candidates as (
                    select s.position::int - 1 as position, s.id as student_id, u.role, coalesce(u.active, false) as active,
                           e.student_id is not null as enrolled
                    from unnest(@students) with ordinality s (id, position)
                    left join users u on u.school_id = @school and u.user_id = s.id
                    left join enrolments e on e.school_id = @school and e.course_id = @course and e.student_id = s.id),
                unfit as (
                    select * from candidates where role is distinct from 'student' or not active or not enrolled),
                written as (
                    insert into attendance_records as a (school_id, lesson_id, student_id, status, recorded_by, recorded_at)
                    select @school, @lessonId, m.student_id, m.status, @by, now()
                    from unnest(@students, @statuses) m (student_id, status)
                    where not exists (select 1 from unfit)
                    order by m.student_id
                    on conflict (school_id, lesson_id, student_id) do update
                        set status = excluded.status, recorded_by = excluded.recorded_by, recorded_at = excluded.recorded_at, version = a.version + 1
                        where a.status is distinct from excluded.status
                    returning xmax = 0 as inserted),
                audited as (
                    insert into audit_events (school_id, client_id, person_id, request_id, action, object_type, object_id)
                    select @school, @client, @by, @requestId, 'record_attendance', 'lesson', @lessonId::text
                    where not exists (select 1 from unfit))
                select (select coalesce(json_agg(unfit order by position), '[]')::text from unfit) as unfit,
                       (select count(*) filter (where inserted) from written)::int as created,
                       (select count(*) from written)::int as changed
                """,
                new
                {
                    school = school.Id,
                    lessonId,
                    course,
                    students,
                    statuses = marks.Select(m => m.Status!).ToArray(),
                    by = scope.Actor.PersonId,
                    client = scope.Actor.ClientId,
                    requestId = scope.Actor.RequestId,
                },
                scope.Transaction, cancellationToken: scope.Cancellation));
            if (Unfit(System.Text.Json.JsonSerializer.Deserialize<List<Candidate>>(recorded.Unfit, UnfitJson)!) is { } refused)
            {
                return refused;
            }
            scope.AuditedByStatement();
            var answer = new RecordAttendanceResponse(lessonId, recorded.Created, recorded.Changed - recorded.Created, marks.Count - recorded.Changed);
            return Written.Ok(http, answer);
        });
    }

    private static readonly System.Text.Json.JsonSerializerOptions UnfitJson = new() { PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower };

    // Ids not of this school answer as missing ones (404); people who cannot be marked in this lesson are named (422).
    private static ProblemHttpResult? Unfit(List<Candidate> unfit)
    {
        var missing = unfit.Where(c => c.Role is null).ToList();
        if (missing.Count > 0)
        {
            var problem = Problems.NotFound("student", $"marks[{missing[0].Position}].student_id", $"The school has no student {missing[0].StudentId}.");
            problem.ProblemDetails.Extensions["errors"] = missing.ToDictionary(
                c => $"marks[{c.Position}].student_id", c => new[] { $"The school has no student {c.StudentId}." });
            return problem;
        }
        if (unfit.Count > 0)
        {
            var reasons = unfit.ToDictionary(c => $"marks[{c.Position}].student_id", c => new[]
            {
                c.Role != Roles.Student ? $"User {c.StudentId} is a {c.Role}, not a student."
                : !c.Active ? $"Student {c.StudentId} is deactivated."
                : $"Student {c.StudentId} is not enrolled in the lesson's course.",
            });
            var first = reasons.First();
            var problem = Problems.Unprocessable("student_not_in_lesson", first.Key, first.Value[0]);
            problem.ProblemDetails.Extensions["errors"] = reasons;
            return problem;
        }
        return null;
    }

    private static async Task<Results<Ok<MarkResponse>, ProblemHttpResult>> GetAsync(
        HttpContext http, AuthorizedSchool school, ReadDataSource dataSource,
        [FromRoute(Name = "lesson_id")] long lessonId, [FromRoute(Name = "student_id")] long studentId)
    {
        await using var connection = await dataSource.OpenConnectionAsync(http.RequestAborted);
        var mark = await FindAsync(connection, null, school.Id, lessonId, studentId, http.RequestAborted);
        if (mark is null || await LessonLookup.FindAsync(connection, null, school.Id, lessonId, http.RequestAborted) is not { } lesson
            || !await http.MayAsync(AccessRules.ReadMark, new MarkResource(LessonLookup.Resource(connection, null, lesson, http.RequestAborted), studentId)))
        {
            return MarkNotFound(lessonId, studentId);
        }
        http.Response.Headers.ETag = Preconditions.ETagOf(mark.Version);
        return TypedResults.Ok(mark);
    }

    private static async Task<Results<Written<Ok<MarkResponse>>, ValidationProblem, ProblemHttpResult>> CorrectAsync(
        HttpContext http, AuthorizedSchool school, SchoolWrites writes,
        [FromRoute(Name = "lesson_id")] long lessonId, [FromRoute(Name = "student_id")] long studentId, MarkChange body)
    {
        if (InputRules.Refuses(body, out var refusal))
        {
            return refusal;
        }
        return await writes.RunAsync(http, school, body, async scope =>
        {
            if (!(await LockMarkAsync(scope, http, lessonId, studentId)).TryGet(out var current, out var refusal))
            {
                return refusal;
            }
            var updated = await scope.Connection.QuerySingleAsync<MarkResponse>(new CommandDefinition($"""
                update attendance_records set status = @Status, recorded_by = @by, recorded_at = now(), version = version + 1
                where school_id = @school and lesson_id = @lessonId and student_id = @studentId
                returning {Columns}
                """, new { school = school.Id, lessonId, studentId, body.Status, by = scope.Actor.PersonId },
                scope.Transaction, cancellationToken: scope.Cancellation));
            await scope.AuditAsync("update", "mark", FormattableString.Invariant($"{lessonId}:{current.StudentId}"));
            return Written.Ok(http, updated, etag: Preconditions.ETagOf(updated.Version));
        });
    }

    private static async Task<Results<Written<NoContent>, ValidationProblem, ProblemHttpResult>> DeleteAsync(
        HttpContext http, AuthorizedSchool school, SchoolWrites writes,
        [FromRoute(Name = "lesson_id")] long lessonId, [FromRoute(Name = "student_id")] long studentId)
    {
        return await writes.RunAsync(http, school, (lessonId, studentId), async scope =>
        {
            if (!(await LockMarkAsync(scope, http, lessonId, studentId)).TryGet(out _, out var refusal))
            {
                return refusal;
            }
            await scope.Connection.ExecuteAsync(new CommandDefinition(
                "delete from attendance_records where school_id = @school and lesson_id = @lessonId and student_id = @studentId",
                new { school = school.Id, lessonId, studentId }, scope.Transaction, cancellationToken: scope.Cancellation));
            await scope.AuditAsync("delete", "mark", FormattableString.Invariant($"{lessonId}:{studentId}"));
            return Written.NoContent();
        });
    }

    private static async Task<Checked<MarkResponse>> LockMarkAsync(WriteScope scope, HttpContext http, long lessonId, long studentId)
    {
        if (await FindAsync(scope.Connection, scope.Transaction, scope.School, lessonId, studentId, scope.Cancellation, forUpdate: true) is not { } current)
        {
            return MarkNotFound(lessonId, studentId);
        }
        var lesson = (await LessonLookup.FindAsync(scope.Connection, scope.Transaction, scope.School, lessonId, scope.Cancellation))!;
        if (!await http.MayAsync(AccessRules.ChangeLessons, LessonLookup.Resource(scope.Connection, scope.Transaction, lesson, scope.Cancellation).Course))
        {
            return AccessRules.NotYourCourse(lesson.CourseId, "lesson_id");
        }
        return Preconditions.IfMatch(http.Request, current.Version) is false ? Problems.StaleVersion("mark") : current;
    }

    private static async Task<Results<Ok<Page<StudentMarkResponse>>, ValidationProblem, ProblemHttpResult>> ListStudentAsync(
        HttpContext http, AuthorizedSchool school, ReadDataSource dataSource, [FromRoute(Name = "student_id")] long studentId, [AsParameters] StudentMarksQuery query)
    {
        var errors = new Dictionary<string, string[]>();
        var after = query.Check<LessonKey>(errors);
        if (query.From is { } from && query.To is { } to && from > to)
        {
            errors["from"] = ["from must not be after to."];
        }
        if (errors.Count > 0)
        {
            return Problems.Validation(errors);
        }
        await using var connection = await dataSource.OpenConnectionAsync(http.RequestAborted);
        var isStudent = await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "select exists (select 1 from users where school_id = @school and user_id = @studentId and role = 'student' and erased_at is null)",
            new { school = school.Id, studentId }, cancellationToken: http.RequestAborted));
        if (!isStudent || !await http.MayAsync(AccessRules.ReadPerson, new PersonResource(studentId)))
        {
            return Problems.NotFound("student", $"The school has no student {studentId}.");
        }
        // AccessRules.ReadMark in SQL (@teaching): a teacher reads the student's marks in the lessons they may read.
        var rows = (await connection.QueryAsync<StudentMarkResponse>(new CommandDefinition("""
            select a.lesson_id, l.course_id, l.teacher_id, l.starts_at, a.status, a.recorded_at
            from attendance_records a
            join lessons l on l.school_id = a.school_id and l.lesson_id = a.lesson_id
            join schools s on s.school_id = a.school_id
            where a.school_id = @school and a.student_id = @studentId
              and (@from::date is null or l.starts_at >= (@from::date::timestamp at time zone s.time_zone))
              and (@to::date is null or l.starts_at < ((@to::date + 1)::timestamp at time zone s.time_zone))
              and (@afterStart::timestamptz is null or (l.starts_at, l.lesson_id) > (@afterStart, @afterId))
              and (@teaching::bigint is null or l.teacher_id = @teaching
                   or exists (select 1 from courses c where c.school_id = @school and c.course_id = l.course_id and c.teacher_id = @teaching))
            order by l.starts_at, l.lesson_id limit @limit
            """,
            new
            {
                school = school.Id,
                studentId,
                from = query.From,
                to = query.To,
                afterStart = after?.StartsAt.ToUniversalTime(),
                afterId = after?.LessonId,
                limit = query.Size + 1,
                teaching = ListNarrowing.Of(http.User).Teacher,
            },
            cancellationToken: http.RequestAborted))).ToList();
        await dataSource.WriteAsync(connection, audit => Audit.RecordAsync(audit, null, http, school.Id, "read_attendance", "student",
            studentId.ToString(CultureInfo.InvariantCulture)), http.RequestAborted);
        await Disclosures.RecordAsync(http, dataSource, connection, school.Id, studentId, Disclosures.What.Marks);
        return TypedResults.Ok(query.ToPage(http.Request, rows, r => new LessonKey(r.StartsAt, r.LessonId)));
    }

    private static async Task<MarkResponse?> FindAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string school, long lessonId, long studentId,
        CancellationToken cancellationToken, bool forUpdate = false) =>
        await connection.QuerySingleOrDefaultAsync<MarkResponse>(new CommandDefinition(
            $"select {Columns} from attendance_records where school_id = @school and lesson_id = @lessonId and student_id = @studentId {(forUpdate ? "for update" : "")}",
            new { school, lessonId, studentId }, transaction, cancellationToken: cancellationToken));

    private static ProblemHttpResult MarkNotFound(long lessonId, long studentId) =>
        Problems.NotFound("mark", $"Lesson {lessonId} of the school has no mark for student {studentId}.");
}
