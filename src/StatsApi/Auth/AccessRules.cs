using System.Security.Claims;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.HttpResults;
using StatsApi.Http;
using StatsApi.Tokens;

namespace StatsApi.Auth;

/// <summary>
/// Who may do what to which object of a school, decided here and nowhere else (README "Who may do what",
/// decision 0007). Three checks stand in a row: the token's scope (a person's token holds at most the
/// scopes of <see cref="PersonRoles"/>), its school (<see cref="SchoolAccessHandler"/>), and then, per
/// object, one rule below, each an <see cref="IAuthorizationRequirement"/> with its own
/// <see cref="AuthorizationHandler{TRequirement, TResource}"/>. An operation asks a rule through
/// <see cref="IAuthorizationService"/> with the object it is about to read or change
/// (<see cref="AccessRuleExtensions.MayAsync"/>): "may this caller do this to this object".
/// <para>
/// The callers: an application's own token (no person) and a school admin reach the whole school; a
/// teacher reads what they teach and changes the lessons and registers of the courses they teach; a
/// student (and a person of any role the service does not know) reaches only their own records.
/// </para>
/// <para>
/// A list reads many objects in one statement, so it applies the same rules in SQL, with the parameters
/// of <see cref="ListNarrowing"/>; each statement that does names the rule it applies. Those statements:
/// courses, enrolments, lessons, a register, a student's marks, people, and the attendance summary.
/// </para>
/// </summary>
internal static class AccessRules
{
    /// <summary>Read a course and its enrolments: a teacher the courses they teach, a student the courses they are enrolled in.</summary>
    public static readonly ReadCourse ReadCourse = new();

    /// <summary>Read a lesson and its register: a teacher the lessons of the courses they teach and the lessons they teach; a student the lessons of their courses.</summary>
    public static readonly ReadLesson ReadLesson = new();

    /// <summary>Read one student's mark in a lesson: a teacher a mark in a lesson they may read; a student their own.</summary>
    public static readonly ReadMark ReadMark = new();

    /// <summary>Read a person of the school (their profile, their marks): a student only themselves.</summary>
    public static readonly ReadPerson ReadPerson = new();

    /// <summary>Schedule, change or delete a course's lessons and record, correct or delete their marks: a teacher only of the courses they teach.</summary>
    public static readonly ChangeLessons ChangeLessons = new();

    public const string NotYourCourseCode = "not_your_course";

    /// <summary>The answer to a change <see cref="ChangeLessons"/> refused, naming the field that named the course.</summary>
    public static ProblemHttpResult NotYourCourse(long courseId, string field)
    {
        var problem = Problems.Create(StatusCodes.Status403Forbidden, NotYourCourseCode, "The course is not yours.",
            $"Course {courseId} is taught by another teacher: a teacher changes lessons and registers of their own courses only.");
        problem.ProblemDetails.Extensions["errors"] = new Dictionary<string, string[]> { [field] = [$"Course {courseId} is not one you teach."] };
        return problem;
    }

    /// <summary>How far the caller reaches, by the role of the person its token acts for.</summary>
    internal static Reach ReachOf(ClaimsPrincipal user)
    {
        if (Caller.PersonId(user) is not { } person)
        {
            return new Reach(Reaches.School, 0);
        }
        return user.FindFirst(PersonClaims.Role)?.Value switch
        {
            Roles.Admin => new Reach(Reaches.School, person),
            Roles.Teacher => new Reach(Reaches.Teaching, person),
            // A student, and fail-closed any role the service does not know.
            _ => new Reach(Reaches.Own, person),
        };
    }

    /// <summary>The rules' handlers, for the authorization service.</summary>
    public static IServiceCollection AddAccessRules(this IServiceCollection services)
    {
        services.AddSingleton<IAuthorizationHandler, ReadCourseHandler>();
        services.AddSingleton<IAuthorizationHandler, ReadLessonHandler>();
        services.AddSingleton<IAuthorizationHandler, ReadMarkHandler>();
        services.AddSingleton<IAuthorizationHandler, ReadPersonHandler>();
        services.AddSingleton<IAuthorizationHandler, ChangeLessonsHandler>();
        return services;
    }

    /// <summary>Whether the teacher teaches the lesson or its course: <see cref="ReadLesson"/> for a teacher.</summary>
    internal static async ValueTask<bool> TeachesAsync(ILessonResource lesson, long teacher) =>
        lesson.TeacherId == teacher || await lesson.Course.TeacherIdAsync() == teacher;
}

internal enum Reaches { School, Teaching, Own }

/// <summary>The school, what a teacher teaches, or a person's own records; <paramref name="Person"/> is 0 for an application's token.</summary>
internal readonly record struct Reach(Reaches Kind, long Person);

internal sealed class ReadCourse : IAuthorizationRequirement;

internal sealed class ReadLesson : IAuthorizationRequirement;

internal sealed class ReadMark : IAuthorizationRequirement;

internal sealed class ReadPerson : IAuthorizationRequirement;

internal sealed class ChangeLessons : IAuthorizationRequirement;

/// <summary>
/// A course as the rules see it; the Courses feature implements it over the connection (and the
/// transaction) of the request that asks, so a fact is read only when a rule needs it.
/// </summary>
internal interface ICourseResource
{
    long CourseId { get; }

    /// <summary>The course's teacher, null while none is assigned.</summary>
    ValueTask<long?> TeacherIdAsync();

    /// <summary>Whether the student is enrolled in the course.</summary>
    ValueTask<bool> EnrolsAsync(long studentId);
}

/// <summary>A lesson as the rules see it: who teaches it, and its course.</summary>
internal interface ILessonResource
{
    long LessonId { get; }

    long TeacherId { get; }

    ICourseResource Course { get; }
}

/// <summary>One student's mark in a lesson.</summary>
internal sealed record MarkResource(ILessonResource Lesson, long StudentId);

/// <summary>A person of the school, by id.</summary>
internal sealed record PersonResource(long UserId);

/// <summary><see cref="AccessRules.ReadCourse"/>.</summary>
internal sealed class ReadCourseHandler : AuthorizationHandler<ReadCourse, ICourseResource>
{
    protected override async Task HandleRequirementAsync(AuthorizationHandlerContext context, ReadCourse requirement, ICourseResource course)
    {
        var reach = AccessRules.ReachOf(context.User);
        if (reach.Kind switch
        {
            Reaches.School => true,
            Reaches.Teaching => await course.TeacherIdAsync() == reach.Person,
            _ => await course.EnrolsAsync(reach.Person),
        })
        {
            context.Succeed(requirement);
        }
    }
}

/// <summary><see cref="AccessRules.ReadLesson"/>.</summary>
internal sealed class ReadLessonHandler : AuthorizationHandler<ReadLesson, ILessonResource>
{
    protected override async Task HandleRequirementAsync(AuthorizationHandlerContext context, ReadLesson requirement, ILessonResource lesson)
    {
        var reach = AccessRules.ReachOf(context.User);
        if (reach.Kind switch
        {
            Reaches.School => true,
            Reaches.Teaching => await AccessRules.TeachesAsync(lesson, reach.Person),
            _ => await lesson.Course.EnrolsAsync(reach.Person),
        })
        {
            context.Succeed(requirement);
        }
    }
}

/// <summary><see cref="AccessRules.ReadMark"/>.</summary>
internal sealed class ReadMarkHandler : AuthorizationHandler<ReadMark, MarkResource>
{
    protected override async Task HandleRequirementAsync(AuthorizationHandlerContext context, ReadMark requirement, MarkResource mark)
    {
        var reach = AccessRules.ReachOf(context.User);
        if (reach.Kind switch
        {
            Reaches.School => true,
            Reaches.Teaching => await AccessRules.TeachesAsync(mark.Lesson, reach.Person),
            _ => mark.StudentId == reach.Person,
        })
        {
            context.Succeed(requirement);
        }
    }
}

/// <summary><see cref="AccessRules.ReadPerson"/>.</summary>
internal sealed class ReadPersonHandler : AuthorizationHandler<ReadPerson, PersonResource>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, ReadPerson requirement, PersonResource person)
    {
        var reach = AccessRules.ReachOf(context.User);
        if (reach.Kind != Reaches.Own || person.UserId == reach.Person)
        {
            context.Succeed(requirement);
        }
        return Task.CompletedTask;
    }
}

/// <summary><see cref="AccessRules.ChangeLessons"/>. A student never holds a scope that writes; refused here too.</summary>
internal sealed class ChangeLessonsHandler : AuthorizationHandler<ChangeLessons, ICourseResource>
{
    protected override async Task HandleRequirementAsync(AuthorizationHandlerContext context, ChangeLessons requirement, ICourseResource course)
    {
        var reach = AccessRules.ReachOf(context.User);
        if (reach.Kind switch
        {
            Reaches.School => true,
            Reaches.Teaching => await course.TeacherIdAsync() == reach.Person,
            _ => false,
        })
        {
            context.Succeed(requirement);
        }
    }
}

/// <summary>
/// The rules as a statement over many rows applies them, bound as its parameters; null where the caller
/// reaches the whole school. <see cref="Teacher"/> (bound as @teaching): the teacher's rows of
/// <see cref="AccessRules.ReadCourse"/> (courses.teacher_id), <see cref="AccessRules.ReadLesson"/> and
/// <see cref="AccessRules.ReadMark"/> (a lesson's teacher_id, or its course's). <see cref="Own"/>: the
/// person's rows of <see cref="AccessRules.ReadPerson"/> (themselves) and <see cref="AccessRules.ReadMark"/>
/// (their marks), and for a student the enrolments behind <see cref="AccessRules.ReadCourse"/> and
/// <see cref="AccessRules.ReadLesson"/>.
/// </summary>
internal sealed record ListNarrowing(long? Teacher, long? Own)
{
    public static ListNarrowing Of(ClaimsPrincipal user)
    {
        var reach = AccessRules.ReachOf(user);
        return reach.Kind switch
        {
            Reaches.Teaching => new ListNarrowing(reach.Person, null),
            Reaches.Own => new ListNarrowing(null, reach.Person),
            _ => new ListNarrowing(null, null),
        };
    }
}

internal static class AccessRuleExtensions
{
    /// <summary>Whether the caller may do what <paramref name="rule"/> names to <paramref name="resource"/>, as the authorization service decides.</summary>
    public static async Task<bool> MayAsync(this HttpContext http, IAuthorizationRequirement rule, object resource) =>
        (await http.RequestServices.GetRequiredService<IAuthorizationService>().AuthorizeAsync(http.User, resource, rule)).Succeeded;
}

/// <summary>What each role may be granted: the scopes of a person's token are the client's, narrowed by the role.</summary>
internal static class PersonRoles
{
    private static readonly Dictionary<string, string[]> Granted = new(StringComparer.Ordinal)
    {
        // A school admin runs the school: everything but the platform's own administration, privacy:read and
        // privacy:write included (a person's export, the record of disclosures, erasure). Teachers and students never hold those.
        [Roles.Admin] = Scopes.All.Where(s => s != Scopes.Admin).ToArray(),
        // A teacher reads what they teach and keeps the timetable and registers of their own courses (AccessRules).
        [Roles.Teacher] = [Scopes.SchoolsRead, Scopes.UsersRead, Scopes.CoursesRead, Scopes.LessonsRead, Scopes.LessonsWrite, Scopes.AttendanceRead, Scopes.AttendanceWrite],
        // A student reads their own profile, courses, lessons and attendance (AccessRules).
        [Roles.Student] = [Scopes.SchoolsRead, Scopes.UsersRead, Scopes.CoursesRead, Scopes.LessonsRead, Scopes.AttendanceRead],
    };

    /// <summary>The client's scopes narrowed to what the role may hold.</summary>
    public static IReadOnlyList<string> Narrow(IEnumerable<string> clientScopes, string role) =>
        Granted.TryGetValue(role, out var allowed) ? clientScopes.Where(allowed.Contains).ToList() : [];
}
