using System.ComponentModel;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Npgsql;
using StatsApi.Auth;
using StatsApi.Docs;
using StatsApi.Http;
using StatsApi.Paging;
using StatsApi.RateLimiting;
using StatsApi.Standbys;
using StatsApi.Tokens;
using StatsApi.Users;
using StatsApi.Writes;

namespace StatsApi.Courses;

internal sealed class CourseListQuery : PageQuery
{
    [FromQuery(Name = "teacher_id"), Description("Only the courses of this teacher.")]
    public long? TeacherId { get; init; }

    [FromQuery(Name = "q"), Description("Only courses whose code or name contains this text, in any case.")]
    public string? Q { get; init; }
}

internal static class CourseEndpoints
{
    public const string Resource = "courses";

    public static RouteGroupBuilder MapCourses(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapSchoolResource(Resource, "Courses");
        group.MapGet("", ListAsync).RequireScope(Scopes.CoursesRead).ReadsOnStandby()
            .WithCost(OperationCosts.ListPage)
            .WithName("ListCourses").WithSummary("The school's courses")
            .WithDescription("Filters by teacher and by text in the code or name; in id order. A teacher acting through a tool lists the courses they teach; a student, the courses they are enrolled in.");
        group.MapGet("/{course_id:long}", GetAsync).RequireScope(Scopes.CoursesRead).WithVersion().ReadsOnStandby()
            .WithName("GetCourse").WithSummary("One course")
            .WithDescription("A teacher acting through a tool reads the courses they teach; a student, the courses they are enrolled in; another answers 404. The ETag header carries the version for If-Match.");
        group.MapPost("", CreateAsync).RequireScope(Scopes.CoursesWrite).WithVersion().WithIdempotencyKey().WithLocation()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .WithName("CreateCourse").WithSummary("Add a course")
            .WithDescription("The code is unique within the school (409 otherwise); teacher_id must be an active teacher of the school. Send an Idempotency-Key to make a retry safe.");
        group.MapPatch("/{course_id:long}", UpdateAsync).RequireScope(Scopes.CoursesWrite).WithVersion()
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .WithName("UpdateCourse").WithSummary("Change a course's code, name or teacher")
            .WithDescription("Fields left out keep their value. With If-Match, a stale version is 412.");
        EnrolmentEndpoints.Map(group);
        return group;
    }

    private sealed record CourseKey(long CourseId);

    private static async Task<Results<Ok<Page<CourseResponse>>, ValidationProblem>> ListAsync(
        HttpContext http, AuthorizedSchool school, ReadDataSource dataSource, [AsParameters] CourseListQuery query)
    {
        var errors = new Dictionary<string, string[]>();
        var after = query.Check<CourseKey>(errors);
        if (query.Q is { Length: 0 or > 100 })
        {
            errors["q"] = ["q must be 1 to 100 characters."];
        }
        if (errors.Count > 0)
        {
            return Problems.Validation(errors);
        }
        // AccessRules.ReadCourse in SQL (@teaching, @student): a teacher lists the courses they teach, a student those they are enrolled in.
        var narrowing = ListNarrowing.Of(http.User);
        await using var connection = await dataSource.OpenConnectionAsync(http.RequestAborted);
        var rows = (await connection.QueryAsync<CourseResponse>(new CommandDefinition($"""
            select {CourseLookup.Columns} from courses
            where school_id = @school
              and (@after::bigint is null or course_id > @after)
              and (@teacher::bigint is null or teacher_id = @teacher)
              and (@q::text is null or strpos(lower(code || ' ' || name), lower(@q)) > 0)
              and (@teaching::bigint is null or teacher_id = @teaching)
              and (@student::bigint is null or exists (select 1 from enrolments e
                   where e.school_id = courses.school_id and e.course_id = courses.course_id and e.student_id = @student))
            order by course_id limit @limit
            """,
            new
            {
                school = school.Id,
                after = after?.CourseId,
                teacher = query.TeacherId,
                q = query.Q,
                limit = query.Size + 1,
                teaching = narrowing.Teacher,
                student = narrowing.Own,
            },
            cancellationToken: http.RequestAborted))).ToList();
        return TypedResults.Ok(query.ToPage(http.Request, rows, r => new CourseKey(r.CourseId)));
    }

    private static async Task<Results<Ok<CourseResponse>, ProblemHttpResult>> GetAsync(
        HttpContext http, AuthorizedSchool school, ReadDataSource dataSource, [FromRoute(Name = "course_id")] long courseId)
    {
        await using var connection = await dataSource.OpenConnectionAsync(http.RequestAborted);
        var course = await CourseLookup.FindAsync(connection, null, school.Id, courseId, http.RequestAborted);
        if (course is null || !await http.MayAsync(AccessRules.ReadCourse, CourseLookup.Resource(connection, null, course, http.RequestAborted)))
        {
            return CourseLookup.NotFound(courseId);
        }
        http.Response.Headers.ETag = Preconditions.ETagOf(course.Version);
        return TypedResults.Ok(course);
    }

    private static async Task<Results<Written<Created<CourseResponse>>, ValidationProblem, ProblemHttpResult>> CreateAsync(
        HttpContext http, AuthorizedSchool school, SchoolWrites writes, NewCourseRequest body)
    {
        if (InputRules.Refuses(body, out var refusal))
        {
            return refusal;
        }
        return await writes.RunAsync(http, school, body, async scope =>
        {
            if (body.TeacherId is { } teacher && await People.RefusalAsync(scope, teacher, Roles.Teacher, "teacher_id") is { } refused)
            {
                return refused;
            }
            var created = await WriteAsync(scope, $"""
                insert into courses (school_id, code, name, teacher_id) values (@school, @Code, @Name, @TeacherId)
                returning {CourseLookup.Columns}
                """, new { school = school.Id, Code = body.Code!.Trim(), Name = body.Name!.Trim(), body.TeacherId });
            if (created is null)
            {
                return CodeTaken();
            }
            await scope.AuditAsync("create", "course", created.CourseId);
            return Written.Created(http, created,
                SchoolRoutes.PathOf(school.Id, Resource, created.CourseId), Preconditions.ETagOf(created.Version));
        });
    }

    private static async Task<Results<Written<Ok<CourseResponse>>, ValidationProblem, ProblemHttpResult>> UpdateAsync(
        HttpContext http, AuthorizedSchool school, SchoolWrites writes, [FromRoute(Name = "course_id")] long courseId, CourseChanges body)
    {
        if (InputRules.Refuses(body, out var refusal))
        {
            return refusal;
        }
        return await writes.RunAsync(http, school, body, async scope =>
        {
            if (await CourseLookup.FindAsync(scope.Connection, scope.Transaction, school.Id, courseId, scope.Cancellation, forUpdate: true) is not { } current)
            {
                return CourseLookup.NotFound(courseId);
            }
            if (Preconditions.IfMatch(http.Request, current.Version) is false)
            {
                return Problems.StaleVersion("course");
            }
            if (body.TeacherId is { } teacher && await People.RefusalAsync(scope, teacher, Roles.Teacher, "teacher_id") is { } refused)
            {
                return refused;
            }
            var updated = await WriteAsync(scope, $"""
                update courses set code = coalesce(@Code, code), name = coalesce(@Name, name), teacher_id = coalesce(@TeacherId, teacher_id),
                                   version = version + 1, updated_at = now()
                where school_id = @school and course_id = @courseId
                returning {CourseLookup.Columns}
                """, new { school = school.Id, courseId, Code = body.Code?.Trim(), Name = body.Name?.Trim(), body.TeacherId });
            if (updated is null)
            {
                return CodeTaken();
            }
            await scope.AuditAsync("update", "course", courseId);
            return Written.Ok(http, updated, etag: Preconditions.ETagOf(updated.Version));
        });
    }

    // Null when another course of the school has the code: the transaction is then aborted, and the write must refuse.
    private static async Task<CourseResponse?> WriteAsync(WriteScope scope, string sql, object parameters)
    {
        try
        {
            return await scope.Connection.QuerySingleAsync<CourseResponse>(new CommandDefinition(sql, parameters, scope.Transaction, cancellationToken: scope.Cancellation));
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            return null;
        }
    }

    private static ProblemHttpResult CodeTaken() => Problems.Conflict("code_taken", "code", "Another course of the school has this code.");
}
