using System.ComponentModel;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using StatsApi.Auth;
using StatsApi.Courses;
using StatsApi.Docs;
using StatsApi.Http;
using StatsApi.Paging;
using StatsApi.RateLimiting;
using StatsApi.Standbys;
using StatsApi.Tokens;
using StatsApi.Users;
using StatsApi.Writes;

namespace StatsApi.Lessons;

internal sealed class LessonListQuery : PageQuery
{
    [FromQuery(Name = "course_id"), Description("Only this course's lessons.")]
    public long? CourseId { get; init; }

    [FromQuery(Name = "teacher_id"), Description("Only lessons this teacher teaches.")]
    public long? TeacherId { get; init; }

    [FromQuery(Name = "from"), Description("Only lessons starting on or after this day (ISO 8601, in the school's time zone).")]
    public DateOnly? From { get; init; }

    [FromQuery(Name = "to"), Description("Only lessons starting on or before this day (ISO 8601, in the school's time zone).")]
    public DateOnly? To { get; init; }
}

internal static class LessonEndpoints
{
    public const string Resource = "lessons";

    public static RouteGroupBuilder MapLessons(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapSchoolResource(Resource, "Lessons");
        group.MapGet("", ListAsync).RequireScope(Scopes.LessonsRead).ReadsOnStandby()
            .WithCost(OperationCosts.ListPage)
            .WithName("ListLessons").WithSummary("The school's lessons")
            .WithDescription("Filters by course, teacher and a range of days; in order of start. A teacher acting through a tool lists the lessons of the courses they teach (and those they teach); a student, the lessons of their courses.");
        group.MapGet("/{lesson_id:long}", GetAsync).RequireScope(Scopes.LessonsRead).WithVersion().ReadsOnStandby()
            .WithName("GetLesson").WithSummary("One lesson")
            .WithDescription("A teacher acting through a tool reads the lessons of the courses they teach and the lessons they teach; a student, the lessons of their courses; another answers 404. The ETag header carries the version for If-Match.");
        group.MapPost("", CreateAsync).RequireScope(Scopes.LessonsWrite).WithVersion().WithIdempotencyKey().WithLocation()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .WithName("CreateLesson").WithSummary("Schedule a lesson")
            .WithDescription("A teacher's token changes only the lessons of courses they teach (403 not_your_course). The teacher is the course's unless teacher_id names another teacher of the school. Send an Idempotency-Key to make a retry safe.");
        group.MapPatch("/{lesson_id:long}", UpdateAsync).RequireScope(Scopes.LessonsWrite).WithVersion()
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .WithName("UpdateLesson").WithSummary("Reschedule or change a lesson")
            .WithDescription("A teacher's token changes only the lessons of courses they teach (403 not_your_course). A lesson moved to another day, course or teacher carries its marks along in every summary. With If-Match, a stale version is 412.");
        group.MapDelete("/{lesson_id:long}", DeleteAsync).RequireScope(Scopes.LessonsWrite).WithVersion()
            .ProducesProblem(StatusCodes.Status428PreconditionRequired)
            .WithName("DeleteLesson").WithSummary("Delete a lesson")
            .WithDescription("A teacher's token changes only the lessons of courses they teach (403 not_your_course). A lesson with attendance is deleted only with cascade=true and an If-Match of its current version (409 without cascade, 428 without If-Match); then its marks go with it, in one transaction.");
        return group;
    }

    private sealed record LessonKey(DateTimeOffset StartsAt, long LessonId);

    private static async Task<Results<Ok<Page<LessonResponse>>, ValidationProblem>> ListAsync(
        HttpContext http, AuthorizedSchool school, ReadDataSource dataSource, [AsParameters] LessonListQuery query)
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
        // AccessRules.ReadLesson in SQL (@teaching, @student): a teacher lists the lessons of the courses they teach and the
        // lessons they teach, a student the lessons of the courses they are enrolled in.
        var narrowing = ListNarrowing.Of(http.User);
        await using var connection = await dataSource.OpenConnectionAsync(http.RequestAborted);
        // The bounds of the days and of the cursor are single values (greatest and coalesce skip the
        // missing ones), so even a generic plan scans only the page's range of the index on starts_at:
        // as a join filter on the school's time zone, the term's bounds made it read the school's
        // every lesson (measured at 10^7 records: 3.6 ms a page). The course and enrolment subqueries name the
        // school itself (so a hashed subplan reads that school's rows only) and the lesson's school, as the
        // marks' count does: Citus refuses, as a complex join, subqueries not all joined to the lesson on school_id.
        var rows = (await connection.QueryAsync<LessonResponse>(new CommandDefinition($"""
            select {LessonLookup.Columns}
            from lessons l
            where l.school_id = @school
              and (@course::bigint is null or l.course_id = @course)
              and (@teacher::bigint is null or l.teacher_id = @teacher)
              and l.starts_at >= greatest((select @from::date::timestamp at time zone s.time_zone from schools s where s.school_id = @school),
                                          @afterStart::timestamptz, '-infinity'::timestamptz)
              and l.starts_at < coalesce((select (@to::date + 1)::timestamp at time zone s.time_zone from schools s where s.school_id = @school),
                                         'infinity'::timestamptz)
              and (@afterStart::timestamptz is null or (l.starts_at, l.lesson_id) > (@afterStart, @afterId))
              and (@teaching::bigint is null or l.teacher_id = @teaching
                   or exists (select 1 from courses c where c.school_id = @school and c.school_id = l.school_id and c.course_id = l.course_id and c.teacher_id = @teaching))
              and (@student::bigint is null or exists (select 1 from enrolments e
                   where e.school_id = @school and e.school_id = l.school_id and e.course_id = l.course_id and e.student_id = @student))
            order by l.starts_at, l.lesson_id limit @limit
            """,
            new
            {
                school = school.Id,
                course = query.CourseId,
                teacher = query.TeacherId,
                from = query.From,
                to = query.To,
                afterStart = after?.StartsAt.ToUniversalTime(),
                afterId = after?.LessonId,
                limit = query.Size + 1,
                teaching = narrowing.Teacher,
                student = narrowing.Own,
            },
            cancellationToken: http.RequestAborted))).ToList();
        return TypedResults.Ok(query.ToPage(http.Request, rows, r => new LessonKey(r.StartsAt, r.LessonId)));
    }

    private static async Task<Results<Ok<LessonResponse>, ProblemHttpResult>> GetAsync(
        HttpContext http, AuthorizedSchool school, ReadDataSource dataSource, [FromRoute(Name = "lesson_id")] long lessonId)
    {
        await using var connection = await dataSource.OpenConnectionAsync(http.RequestAborted);
        var lesson = await LessonLookup.FindAsync(connection, null, school.Id, lessonId, http.RequestAborted);
        if (lesson is null || !await http.MayAsync(AccessRules.ReadLesson, LessonLookup.Resource(connection, null, lesson, http.RequestAborted)))
        {
            return LessonLookup.NotFound(lessonId);
        }
        http.Response.Headers.ETag = Preconditions.ETagOf(lesson.Version);
        return TypedResults.Ok(lesson);
    }

    private static async Task<Results<Written<Created<LessonResponse>>, ValidationProblem, ProblemHttpResult>> CreateAsync(
        HttpContext http, AuthorizedSchool school, SchoolWrites writes, NewLessonRequest body)
    {
        if (InputRules.Refuses(body, out var refusal))
        {
            return refusal;
        }
        return await writes.RunAsync(http, school, body, async scope =>
        {
            if (await CourseLookup.FindAsync(scope.Connection, scope.Transaction, school.Id, body.CourseId!.Value, scope.Cancellation) is not { } course)
            {
                return Problems.NotFound("course", "course_id", $"The school has no course {body.CourseId}.");
            }
            if (!await http.MayAsync(AccessRules.ChangeLessons, CourseLookup.Resource(scope.Connection, scope.Transaction, course, scope.Cancellation)))
            {
                return AccessRules.NotYourCourse(course.CourseId, "course_id");
            }
            if ((body.TeacherId ?? course.TeacherId) is not { } teacher)
            {
                return Problems.Unprocessable("teacher_required", "teacher_id", "The course has no teacher: name the lesson's teacher_id.");
            }
            if (await People.RefusalAsync(scope, teacher, Roles.Teacher, "teacher_id") is { } refused)
            {
                return refused;
            }
            var id = await scope.Connection.ExecuteScalarAsync<long>(new CommandDefinition("""
                insert into lessons (school_id, course_id, teacher_id, starts_at, ends_at, room)
                values (@school, @course, @teacher, @StartsAt, @EndsAt, @Room)
                returning lesson_id
                """, new { school = school.Id, course = course.CourseId, teacher, StartsAt = body.StartsAt!.Value.ToUniversalTime(), EndsAt = body.EndsAt!.Value.ToUniversalTime(), Room = body.Room?.Trim() },
                scope.Transaction, cancellationToken: scope.Cancellation));
            var created = (await LessonLookup.FindAsync(scope.Connection, scope.Transaction, school.Id, id, scope.Cancellation))!;
            await scope.AuditAsync("create", "lesson", id);
            return Written.Created(http, created, SchoolRoutes.PathOf(school.Id, Resource, id), Preconditions.ETagOf(created.Version));
        });
    }

    private static async Task<Results<Written<Ok<LessonResponse>>, ValidationProblem, ProblemHttpResult>> UpdateAsync(
        HttpContext http, AuthorizedSchool school, SchoolWrites writes, [FromRoute(Name = "lesson_id")] long lessonId, LessonChanges body)
    {
        if (InputRules.Refuses(body, out var refusal))
        {
            return refusal;
        }
        return await writes.RunAsync(http, school, body, async scope =>
        {
            if (!(await LockAsync(scope, http, lessonId)).TryGet(out var current, out var refusal))
            {
                return refusal;
            }
            // The change applied to what is stored must still be a lesson: checked here so the answer names the field.
            if (!LessonFields.Fits(body.StartsAt ?? current.StartsAt, body.EndsAt ?? current.EndsAt))
            {
                return Problems.Validation("ends_at", LessonFields.Span);
            }
            if (body.CourseId is { } course)
            {
                if (await CourseLookup.FindAsync(scope.Connection, scope.Transaction, school.Id, course, scope.Cancellation) is not { } target)
                {
                    return Problems.NotFound("course", "course_id", $"The school has no course {course}.");
                }
                if (!await http.MayAsync(AccessRules.ChangeLessons, CourseLookup.Resource(scope.Connection, scope.Transaction, target, scope.Cancellation)))
                {
                    return AccessRules.NotYourCourse(course, "course_id");
                }
            }
            if (body.TeacherId is { } teacher && await People.RefusalAsync(scope, teacher, Roles.Teacher, "teacher_id") is { } refused)
            {
                return refused;
            }
            await scope.Connection.ExecuteAsync(new CommandDefinition("""
                update lessons set course_id = coalesce(@CourseId, course_id), teacher_id = coalesce(@TeacherId, teacher_id),
                                   starts_at = coalesce(@StartsAt, starts_at), ends_at = coalesce(@EndsAt, ends_at), room = coalesce(@Room, room),
                                   version = version + 1, updated_at = now()
                where school_id = @school and lesson_id = @lessonId
                """, new
            {
                school = school.Id,
                lessonId,
                body.CourseId,
                body.TeacherId,
                StartsAt = body.StartsAt?.ToUniversalTime(),
                EndsAt = body.EndsAt?.ToUniversalTime(),
                Room = body.Room?.Trim(),
            },
                scope.Transaction, cancellationToken: scope.Cancellation));
            var updated = (await LessonLookup.FindAsync(scope.Connection, scope.Transaction, school.Id, lessonId, scope.Cancellation))!;
            await scope.AuditAsync("update", "lesson", lessonId);
            return Written.Ok(http, updated, etag: Preconditions.ETagOf(updated.Version));
        });
    }

    private static async Task<Results<Written<NoContent>, ValidationProblem, ProblemHttpResult>> DeleteAsync(
        HttpContext http, AuthorizedSchool school, SchoolWrites writes, [FromRoute(Name = "lesson_id")] long lessonId,
        [FromQuery(Name = "cascade"), Description("true deletes the lesson's attendance marks with it.")] bool? cascade)
    {
        return await writes.RunAsync(http, school, lessonId, async scope =>
        {
            if (!(await LockAsync(scope, http, lessonId)).TryGet(out var current, out var refusal))
            {
                return refusal;
            }
            if (current.Marks > 0 && cascade != true)
            {
                var problem = Problems.Conflict("lesson_has_attendance", "cascade",
                    $"The lesson has {current.Marks} attendance marks; delete with cascade=true and If-Match to delete them with it.");
                problem.ProblemDetails.Extensions["marks"] = current.Marks;
                return problem;
            }
            if (current.Marks > 0 && http.Request.Headers.IfMatch.Count == 0)
            {
                return Problems.Create(StatusCodes.Status428PreconditionRequired, "precondition_required",
                    "If-Match is required.", $"The lesson has {current.Marks} attendance marks: send If-Match with its ETag to delete them with it.");
            }
            // Marks first, so the rollups' triggers subtract them while their lesson still says which day they were on.
            await scope.Connection.ExecuteAsync(new CommandDefinition("""
                delete from attendance_records where school_id = @school and lesson_id = @lessonId;
                delete from lessons where school_id = @school and lesson_id = @lessonId;
                """, new { school = school.Id, lessonId }, scope.Transaction, cancellationToken: scope.Cancellation));
            await scope.AuditAsync(current.Marks > 0 ? "delete_with_attendance" : "delete", "lesson", lessonId);
            return Written.NoContent();
        });
    }

    /// <summary>The lesson, locked for this write, after the caller may change it (403) and its If-Match precondition (404 or 412).</summary>
    internal static async Task<Checked<LessonResponse>> LockAsync(WriteScope scope, HttpContext http, long lessonId)
    {
        await scope.Connection.ExecuteAsync(new CommandDefinition(
            "select 1 from lessons where school_id = @School and lesson_id = @lessonId for update",
            new { scope.School, lessonId }, scope.Transaction, cancellationToken: scope.Cancellation));
        if (await LessonLookup.FindAsync(scope.Connection, scope.Transaction, scope.School, lessonId, scope.Cancellation) is not { } current)
        {
            return LessonLookup.NotFound(lessonId);
        }
        if (!await http.MayAsync(AccessRules.ChangeLessons, LessonLookup.Resource(scope.Connection, scope.Transaction, current, scope.Cancellation).Course))
        {
            return AccessRules.NotYourCourse(current.CourseId, "lesson_id");
        }
        return Preconditions.IfMatch(http.Request, current.Version) is false ? Problems.StaleVersion("lesson") : current;
    }
}
