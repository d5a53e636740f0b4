using Dapper;
using Npgsql;
using StatsApi.Auth;
using StatsApi.Standbys;
using StatsApi.Writes;

namespace StatsApi.Privacy;

/// <summary>
/// The record of disclosures (FERPA 34 CFR 99.32): one row per request and student whose data its answer
/// shows. Every operation that discloses a student's data records here before it answers, in one statement
/// whatever the number of students (a page of a feed or an export: at most <see cref="MaxPerStatement"/>
/// each). Written on the request's path, not queued: a request whose record could not be written fails
/// instead of answering, so no answer goes out unrecorded (decision 0014).
/// </summary>
internal static class Disclosures
{
    /// <summary>The students one statement records; a bulk read of more is recorded in several, in its one transaction.</summary>
    public const int MaxPerStatement = 1000;

    /// <summary>What was disclosed, as the record names it.</summary>
    public static class What
    {
        public const string Profile = "profile";
        public const string Marks = "marks";
        public const string Mark = "mark";
        public const string Summary = "summary";
        public const string Export = "export";
        public const string TermExport = "term_export";
        public const string Changes = "changes";
    }

    /// <summary>Records that the actor's request disclosed <paramref name="what"/> of each student, in the caller's connection and transaction.</summary>
    public static async Task RecordAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, Actor actor, string school,
        IReadOnlyCollection<long> students, string what, CancellationToken cancellationToken)
    {
        foreach (var chunk in students.Distinct().Chunk(MaxPerStatement))
        {
            await connection.ExecuteAsync(new CommandDefinition("""
                insert into disclosures (school_id, student_id, client_id, person_id, request_id, what)
                select @school, s, @client, @person, @requestId, @what from unnest(@students::bigint[]) s
                """,
                new { school, students = chunk, client = actor.ClientId, person = actor.PersonId, requestId = actor.RequestId, what },
                transaction, cancellationToken: cancellationToken));
        }
    }

    /// <summary>Records a read's disclosure of one student, on the primary when the read went to a standby.</summary>
    public static Task RecordAsync(HttpContext http, ReadDataSource dataSource, NpgsqlConnection readConnection, string school, long student, string what) =>
        ToThemselves(http, student)
            ? Task.CompletedTask
            : dataSource.WriteAsync(readConnection, connection => RecordAsync(connection, null, Actor.Of(http), school, [student], what, http.RequestAborted),
                http.RequestAborted);

    /// <summary>Records a read's disclosure of one student, on a connection of its own to the primary.</summary>
    public static Task RecordAsync(HttpContext http, NpgsqlDataSource primary, string school, long student, string what) =>
        RecordAsync(http, primary, school, [student], what);

    /// <summary>Records a bulk read's disclosure of these students (a page of a feed, an export), on a connection of its own to the primary.</summary>
    public static async Task RecordAsync(HttpContext http, NpgsqlDataSource primary, string school, IReadOnlyCollection<long> students, string what)
    {
        var others = students.Where(student => !ToThemselves(http, student)).ToList();
        if (others.Count == 0)
        {
            return;
        }
        await using var connection = await primary.OpenConnectionAsync(http.RequestAborted);
        await using var transaction = await connection.BeginTransactionAsync(http.RequestAborted);
        await RecordAsync(connection, transaction, Actor.Of(http), school, others, what, http.RequestAborted);
        await transaction.CommitAsync(http.RequestAborted);
    }

    // 99.32(d)(1): what a student is shown of their own record is no disclosure to record.
    private static bool ToThemselves(HttpContext http, long student) => Caller.PersonId(http.User) == student;
}
