using Dapper;
using Npgsql;

namespace StatsApi.Writes;

/// <summary>
/// The append-only trail of who did what: every write, in its own transaction, whatever its door (an
/// HTTP request, the command line), and every read of one student's record. Ids only: names stay in the
/// users table.
/// </summary>
internal static class Audit
{
    public static Task RecordAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, Actor actor, string school,
        string action, string objectType, string objectId, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition("""
            insert into audit_events (school_id, client_id, person_id, request_id, action, object_type, object_id)
            values (@school, @client, @person, @requestId, @action, @objectType, @objectId)
            """,
            new
            {
                school,
                client = actor.ClientId,
                person = actor.PersonId,
                requestId = actor.RequestId,
                action,
                objectType,
                objectId,
            },
            transaction, cancellationToken: cancellationToken));

    /// <summary>A read of one student's record, by the caller of the request.</summary>
    public static Task RecordAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, HttpContext http, string school,
        string action, string objectType, string objectId) =>
        RecordAsync(connection, transaction, Actor.Of(http), school, action, objectType, objectId, http.RequestAborted);
}
