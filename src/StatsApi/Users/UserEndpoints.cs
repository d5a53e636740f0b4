using System.ComponentModel;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Npgsql;
using StatsApi.Auth;
using StatsApi.Docs;
using StatsApi.Http;
using StatsApi.Paging;
using StatsApi.Privacy;
using StatsApi.RateLimiting;
using StatsApi.Standbys;
using StatsApi.Tokens;
using StatsApi.Writes;

namespace StatsApi.Users;

internal sealed class UserListQuery : PageQuery
{
    [FromQuery(Name = "role"), Description("Only people of this role: student, teacher or admin.")]
    public string? Role { get; init; }

    [FromQuery(Name = "course_id"), Description("Only the course's enrolled students and its teacher.")]
    public long? CourseId { get; init; }

    [FromQuery(Name = "q"), Description("Only people whose name contains this text, in any case.")]
    public string? Q { get; init; }

    [FromQuery(Name = "active"), Description("Only active (true) or deactivated (false) people.")]
    public bool? Active { get; init; }
}

internal static class UserEndpoints
{
    private const string Resource = "users";

    public static RouteGroupBuilder MapUsers(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapSchoolResource(Resource, "Users");
        group.MapGet("", ListAsync).RequireScope(Scopes.UsersRead).ReadsOnStandby()
            .WithCost(OperationCosts.ListPage)
            .WithName("ListUsers").WithSummary("The school's people")
            .WithDescription("Filters by role, course (its students and teacher), name and active; in id order. A student acting through a tool sees only themselves.");
        group.MapGet("/{user_id:long}", GetAsync).RequireScope(Scopes.UsersRead).WithVersion().ReadsOnStandby()
            .WithName("GetUser").WithSummary("One person")
            .WithDescription("The ETag header carries the version for If-Match. Reading a student's record is audited.");
        group.MapPost("", CreateAsync).RequireScope(Scopes.UsersWrite).WithVersion().WithIdempotencyKey().WithLocation()
            .WithName("CreateUser").WithSummary("Add a person to the school")
            .WithDescription("The email, when given, is unique within the school (409 otherwise). Send an Idempotency-Key to make a retry safe.");
        group.MapPatch("/{user_id:long}", UpdateAsync).RequireScope(Scopes.UsersWrite).WithVersion()
            .WithName("UpdateUser").WithSummary("Change a person's name or email, or deactivate them")
            .WithDescription("Fields left out keep their value; active: false deactivates. With If-Match, a stale version is 412.");
        return group;
    }

    private sealed record UserKey(long UserId);

    private static async Task<Results<Ok<Page<UserResponse>>, ValidationProblem>> ListAsync(
        HttpContext http, AuthorizedSchool school, ReadDataSource dataSource, [AsParameters] UserListQuery query)
    {
        var errors = new Dictionary<string, string[]>();
        var after = query.Check<UserKey>(errors);
        if (query.Role is not null && !Roles.All.Contains(query.Role))
        {
            errors["role"] = ["role must be student, teacher or admin."];
        }
        if (query.Q is { Length: 0 or > 100 })
        {
            errors["q"] = ["q must be 1 to 100 characters."];
        }
        if (errors.Count > 0)
        {
            return Problems.Validation(errors);
        }
        // AccessRules.ReadPerson in SQL (@self): a student lists themselves only.
        await using var connection = await dataSource.OpenConnectionAsync(http.RequestAborted);
        var rows = (await connection.QueryAsync<UserResponse>(new CommandDefinition($"""
            select {People.Columns} from users u
            where u.school_id = @school and u.erased_at is null
              and (@after::bigint is null or u.user_id > @after)
              and (@role::text is null or u.role = @role)
              and (@active::boolean is null or u.active = @active)
              and (@q::text is null or strpos(lower(u.given_name || ' ' || u.family_name), lower(@q)) > 0)
              and (@course::bigint is null
                   or exists (select 1 from enrolments e where e.school_id = @school and e.course_id = @course and e.student_id = u.user_id)
                   or exists (select 1 from courses c where c.school_id = @school and c.course_id = @course and c.teacher_id = u.user_id))
              and (@self::bigint is null or u.user_id = @self)
            order by u.user_id limit @limit
            """,
            new
            {
                school = school.Id,
                after = after?.UserId,
                role = query.Role,
                active = query.Active,
                q = query.Q,
                course = query.CourseId,
                limit = query.Size + 1,
                self = ListNarrowing.Of(http.User).Own,
            },
            cancellationToken: http.RequestAborted))).ToList();
        return TypedResults.Ok(query.ToPage(http.Request, rows, r => new UserKey(r.UserId)));
    }

    private static async Task<Results<Ok<UserResponse>, ProblemHttpResult>> GetAsync(
        HttpContext http, AuthorizedSchool school, ReadDataSource dataSource, [FromRoute(Name = "user_id")] long userId)
    {
        await using var connection = await dataSource.OpenConnectionAsync(http.RequestAborted);
        var user = await People.FindAsync(connection, null, school.Id, userId, http.RequestAborted);
        // A student sees their own profile only; anyone else's answers as missing.
        if (user is null || !await http.MayAsync(AccessRules.ReadPerson, new PersonResource(userId)))
        {
            return UserNotFound(userId);
        }
        if (user.Role == Roles.Student)
        {
            await dataSource.WriteAsync(connection, audit => Audit.RecordAsync(audit, null, http, school.Id, "read", "student",
                user.UserId.ToString(System.Globalization.CultureInfo.InvariantCulture)), http.RequestAborted);
            await Disclosures.RecordAsync(http, dataSource, connection, school.Id, user.UserId, Disclosures.What.Profile);
        }
        http.Response.Headers.ETag = Preconditions.ETagOf(user.Version);
        return TypedResults.Ok(user);
    }

    private static async Task<Results<Written<Created<UserResponse>>, ValidationProblem, ProblemHttpResult>> CreateAsync(
        HttpContext http, AuthorizedSchool school, SchoolWrites writes, NewUserRequest body)
    {
        if (InputRules.Refuses(body, out var refusal))
        {
            return refusal;
        }
        return await writes.RunAsync(http, school, body, async scope =>
        {
            if (await InsertAsync(scope, body) is not { } created)
            {
                return EmailTaken();
            }
            await scope.AuditAsync("create", "user", created.UserId);
            return Written.Created(http, created,
                SchoolRoutes.PathOf(school.Id, Resource, created.UserId), Preconditions.ETagOf(created.Version));
        });
    }

    // Null when another person of the school has the e-mail: the transaction is then aborted, and the write must refuse.
    private static async Task<UserResponse?> InsertAsync(WriteScope scope, NewUserRequest body)
    {
        try
        {
            return await scope.Connection.QuerySingleAsync<UserResponse>(new CommandDefinition($"""
                insert into users (school_id, role, given_name, family_name, email)
                values (@school, @Role, @GivenName, @FamilyName, @Email)
                returning {People.Columns}
                """, new { school = scope.School, body.Role, GivenName = body.GivenName!.Trim(), FamilyName = body.FamilyName!.Trim(), body.Email },
                scope.Transaction, cancellationToken: scope.Cancellation));
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            return null;
        }
    }

    private static async Task<Results<Written<Ok<UserResponse>>, ValidationProblem, ProblemHttpResult>> UpdateAsync(
        HttpContext http, AuthorizedSchool school, SchoolWrites writes, [FromRoute(Name = "user_id")] long userId, UserChanges body)
    {
        if (InputRules.Refuses(body, out var refusal))
        {
            return refusal;
        }
        return await writes.RunAsync(http, school, body, async scope =>
        {
            if (await People.FindAsync(scope.Connection, scope.Transaction, school.Id, userId, scope.Cancellation, forUpdate: true) is not { } current)
            {
                return UserNotFound(userId);
            }
            if (Preconditions.IfMatch(http.Request, current.Version) is false)
            {
                return Problems.StaleVersion("user");
            }
            UserResponse updated;
            try
            {
                updated = await scope.Connection.QuerySingleAsync<UserResponse>(new CommandDefinition($"""
                    update users set
                        given_name = coalesce(@GivenName, given_name), family_name = coalesce(@FamilyName, family_name),
                        email = coalesce(@Email, email), active = coalesce(@Active, active),
                        version = version + 1, updated_at = now()
                    where school_id = @school and user_id = @userId
                    returning {People.Columns}
                    """, new { school = school.Id, userId, GivenName = body.GivenName?.Trim(), FamilyName = body.FamilyName?.Trim(), body.Email, body.Active },
                    scope.Transaction, cancellationToken: scope.Cancellation));
            }
            catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
            {
                return EmailTaken();
            }
            var deactivated = body.Active == false && current.Active;
            if (deactivated)
            {
                // Tokens already issued for the person stop on every instance within the revocation bound.
                await Revocations.RevokeAsync(scope.Connection, scope.Transaction, RevocationKind.User, Revocations.UserSubject(school.Id, userId), scope.Cancellation);
            }
            await scope.AuditAsync(deactivated ? "deactivate" : "update", "user", userId);
            return Written.Ok(http, updated, etag: Preconditions.ETagOf(updated.Version));
        });
    }

    private static ProblemHttpResult UserNotFound(long userId) =>
        Problems.NotFound("user", $"The school has no user {userId}.");

    private static ProblemHttpResult EmailTaken() =>
        Problems.Conflict("email_taken", "email", "Another person of the school has this email address.");
}
