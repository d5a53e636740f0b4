using Dapper;
using StatsApi.Auth;
using StatsApi.Http;
using StatsApi.Writes;

namespace StatsApi.Courses;

/// <summary>A teacher acting through a tool changes lessons and registers of the courses they teach, and no others.</summary>
public static class Teaching
{
    public const string NotYourCourse = "not_your_course";

    /// <summary>Refuses the write (403) when the caller is a teacher and the course is not theirs; a school admin or an application passes.</summary>
    public static async Task RequireOwnCourseAsync(WriteScope scope, long courseId, string field = "course_id")
    {
        if (Caller.ActingTeacher(scope.Http.User) is not { } teacher)
        {
            return;
        }
        var teacherOfCourse = await scope.Connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            "select teacher_id from courses where school_id = @School and course_id = @courseId",
            new { scope.School, courseId }, scope.Transaction, cancellationToken: scope.Cancellation));
        if (teacherOfCourse != teacher)
        {
            var problem = Problems.Create(StatusCodes.Status403Forbidden, NotYourCourse, "The course is not yours.",
                $"Course {courseId} is taught by another teacher: a teacher changes lessons and registers of their own courses only.");
            problem.ProblemDetails.Extensions["errors"] = new Dictionary<string, string[]> { [field] = [$"Course {courseId} is not one you teach."] };
            throw SchoolWrites.Refuse(problem);
        }
    }
}
