using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using StatsApi.Auth;
using StatsApi.Http;
using StatsApi.Paging;
using StatsApi.RateLimiting;
using StatsApi.Standbys;
using StatsApi.Tokens;
using StatsApi.Users;
using StatsApi.Writes;
// An enrolment is answered 201 when new and 200 when it was there already.
using Enrolled = Microsoft.AspNetCore.Http.HttpResults.Results<
    Microsoft.AspNetCore.Http.HttpResults.Created<StatsApi.Courses.EnrolmentResponse>,
    Microsoft.AspNetCore.Http.HttpResults.Ok<StatsApi.Courses.EnrolmentResponse>>;

namespace StatsApi.Courses;

/// <summary>A course's students: /v1/schools/{school_id}/courses/{course_id}/enrolments.</summary>
internal static class EnrolmentEndpoints
{
    public static void Map(RouteGroupBuilder courses)
    {
        courses.MapGet("/{course_id:long}/enrolments", ListAsync).RequireScope(Scopes.CoursesRead).ReadsOnStandby()
            .WithCost(OperationCosts.ListPage)
            .WithName("ListEnrolments").WithSummary("A course's students")
            .WithDescription("Student ids and the day each joined, in student id order; names come from the users operations under users:read. The course must be one the caller may read (404 otherwise); a student sees their own enrolment only.");
        courses.MapPut("/{course_id:long}/enrolments/{student_id:long}", EnrolAsync).RequireScope(Scopes.CoursesWrite)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .WithName("Enrol").WithSummary("Enrol a student in a course")
            .WithDescription("201 when the student is newly enrolled, 200 when already enrolled (nothing changes): a retry is safe.");
        courses.MapDelete("/{course_id:long}/enrolments/{student_id:long}", UnenrolAsync).RequireScope(Scopes.CoursesWrite)
            .WithName("Unenrol").WithSummary("Remove a student from a course")
            .WithDescription("The student's attendance in the course's lessons stays.");
    }

    private sealed record StudentKey(long StudentId);

    internal const string Columns = "course_id, student_id, enrolled_on";

    private static async Task<Results<Ok<Page<EnrolmentResponse>>, ValidationProblem, ProblemHttpResult>> ListAsync(
        HttpContext http, AuthorizedSchool school, ReadDataSource dataSource, [FromRoute(Name = "course_id")] long courseId, [AsParameters] PageQuery page)
    {
        var errors = new Dictionary<string, string[]>();
        var after = page.Check<StudentKey>(errors);
        if (errors.Count > 0)
        {
            return Problems.Validation(errors);
        }
        await using var connection = await dataSource.OpenConnectionAsync(http.RequestAborted);
        if (await CourseLookup.FindAsync(connection, null, school.Id, courseId, http.RequestAborted) is not { } course
            || !await http.MayAsync(AccessRules.ReadCourse, CourseLookup.Resource(connection, null, course, http.RequestAborted)))
        {
            return CourseLookup.NotFound(courseId);
        }
        // AccessRules.ReadPerson in SQL (@self): a student sees their own enrolment, not the course's other students.
        var rows = (await connection.QueryAsync<EnrolmentResponse>(new CommandDefinition($"""
            select {Columns} from enrolments
            where school_id = @school and course_id = @courseId and (@after::bigint is null or student_id > @after)
              and (@self::bigint is null or student_id = @self)
            order by student_id limit @limit
            """,
            new { school = school.Id, courseId, after = after?.StudentId, limit = page.Size + 1, self = ListNarrowing.Of(http.User).Own },
            cancellationToken: http.RequestAborted))).ToList();
        return TypedResults.Ok(page.ToPage(http.Request, rows, r => new StudentKey(r.StudentId)));
    }

    private static async Task<Results<Written<Enrolled>, ValidationProblem, ProblemHttpResult>> EnrolAsync(
        HttpContext http, AuthorizedSchool school, SchoolWrites writes,
        [FromRoute(Name = "course_id")] long courseId, [FromRoute(Name = "student_id")] long studentId, [FromBody] EnrolmentRequest? body)
    {
        return await writes.RunAsync(http, school, body, async scope =>
        {
            if (await CourseLookup.FindAsync(scope.Connection, scope.Transaction, school.Id, courseId, scope.Cancellation) is null)
            {
                return CourseLookup.NotFound(courseId);
            }
            if (await People.RefusalAsync(scope, studentId, Roles.Student, "student_id") is { } refused)
            {
                return refused;
            }
            var created = await scope.Connection.QuerySingleOrDefaultAsync<EnrolmentResponse>(new CommandDefinition($"""
                insert into enrolments (school_id, course_id, student_id, enrolled_on)
                select s.school_id, @courseId, @studentId, coalesce(@on, (now() at time zone s.time_zone)::date)
                from schools s where s.school_id = @school
                on conflict do nothing
                returning {Columns}
                """, new { school = school.Id, courseId, studentId, on = body?.EnrolledOn }, scope.Transaction, cancellationToken: scope.Cancellation));
            if (created is null)
            {
                var existing = await scope.Connection.QuerySingleAsync<EnrolmentResponse>(new CommandDefinition(
                    $"select {Columns} from enrolments where school_id = @school and course_id = @courseId and student_id = @studentId",
                    new { school = school.Id, courseId, studentId }, scope.Transaction, cancellationToken: scope.Cancellation));
                scope.ChangedNothing();
                return Written.Of<Enrolled>(http, StatusCodes.Status200OK, existing);
            }
            await scope.AuditAsync("create", "enrolment", $"{courseId}:{studentId}");
            return Written.Of<Enrolled>(http, StatusCodes.Status201Created, created);
        });
    }

    private static async Task<Results<Written<NoContent>, ValidationProblem, ProblemHttpResult>> UnenrolAsync(
        HttpContext http, AuthorizedSchool school, SchoolWrites writes,
        [FromRoute(Name = "course_id")] long courseId, [FromRoute(Name = "student_id")] long studentId)
    {
        return await writes.RunAsync(http, school, (courseId, studentId), async scope =>
        {
            var removed = await scope.Connection.ExecuteAsync(new CommandDefinition(
                "delete from enrolments where school_id = @school and course_id = @courseId and student_id = @studentId",
                new { school = school.Id, courseId, studentId }, scope.Transaction, cancellationToken: scope.Cancellation));
            if (removed == 0)
            {
                return Problems.NotFound("enrolment", $"Student {studentId} is not enrolled in course {courseId} of the school.");
            }
            await scope.AuditAsync("delete", "enrolment", $"{courseId}:{studentId}");
            return Written.NoContent();
        });
    }
}
