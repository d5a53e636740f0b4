using Dapper;
using Npgsql;

namespace StatsApi.Privacy;

/// <summary>
/// The export's reads: every table that holds something about the person, each read within the school.
/// They span the features' tables on purpose: the export answers for all the service holds, so it reads
/// the rows themselves rather than through each feature's answers.
/// </summary>
internal static class ExportQuery
{
    /// <summary>The document, or null when the school has no such person (or they were erased).</summary>
    public static async Task<PersonExport?> ReadAsync(NpgsqlConnection connection, string school, long userId, CancellationToken cancellationToken)
    {
        var args = new { school, userId, userKey = userId.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        CommandDefinition Command(string sql) => new(sql, args, cancellationToken: cancellationToken);

        var profile = await connection.QuerySingleOrDefaultAsync<ExportedProfile>(Command("""
            select user_id, school_id, role, given_name, family_name, email, active, created_at, updated_at
            from users where school_id = @school and user_id = @userId and erased_at is null
            """));
        if (profile is null)
        {
            return null;
        }
        var enrolments = await connection.QueryAsync<ExportedEnrolment>(Command("""
            select e.course_id, c.code, c.name, e.enrolled_on
            from enrolments e join courses c on c.school_id = e.school_id and c.course_id = e.course_id
            where e.school_id = @school and e.student_id = @userId
            order by e.course_id
            """));
        var taught = await connection.QueryAsync<ExportedCourse>(Command("""
            select course_id, code, name from courses where school_id = @school and teacher_id = @userId order by course_id
            """));
        var marks = await connection.QueryAsync<ExportedMark>(Command("""
            select a.lesson_id, l.course_id, l.starts_at, a.status, a.recorded_by, a.recorded_at
            from attendance_records a join lessons l on l.school_id = a.school_id and l.lesson_id = a.lesson_id
            where a.school_id = @school and a.student_id = @userId
            order by l.starts_at, a.lesson_id
            """));
        var tokens = await connection.QueryAsync<ExportedApiToken>(Command("""
            select token_id, name, prefix, created_at, last_used_at
            from user_api_tokens where school_id = @school and user_id = @userId order by token_id
            """));
        // The person's record is the object of events about them as a user, a student, or one of their API tokens.
        var events = await connection.QueryAsync<ExportedEvent>(Command("""
            select e.occurred_at, e.client_id, e.person_id, e.request_id, e.action, e.object_type
            from audit_events e
            where e.school_id = @school
              and ((e.object_type in ('user', 'student') and e.object_id = @userKey)
                   or (e.object_type = 'api_token' and e.object_id in (
                       select t.token_id::text from user_api_tokens t where t.school_id = @school and t.user_id = @userId)))
            order by e.event_id
            """));
        var disclosures = await connection.QueryAsync<DisclosureResponse>(Command("""
            select disclosure_id, occurred_at, client_id, person_id, request_id, what
            from disclosures where school_id = @school and student_id = @userId order by disclosure_id
            """));
        var now = await connection.ExecuteScalarAsync<DateTime>(Command("select now()"));
        return new PersonExport
        {
            ExportedAt = now,
            Profile = profile,
            Enrolments = enrolments.ToList(),
            CoursesTaught = taught.ToList(),
            Marks = marks.ToList(),
            ApiTokens = tokens.ToList(),
            Events = events.ToList(),
            Disclosures = disclosures.ToList(),
        };
    }
}
