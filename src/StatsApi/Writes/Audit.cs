using Dapper;
using Npgsql;
using StatsApi.Auth;

namespace StatsApi.Writes;

/// <summary>
/// The append-only trail of who did what: every write, in its own transaction, and every read of one
/// student's record. Ids only: names stay in the users table.
/// </summary>
public static class Audit
{
    public static Task RecordAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, HttpContext http, string school,
        string action, string objectType, string objectId) =>
        connection.ExecuteAsync(new CommandDefinition("""
            insert into audit_events (school_id, client_id, person_id, request_id, action, object_type, object_id)
            values (@school, @client, @person, @requestId, @action, @objectType, @objectId)
            """,
            new
            {
                school,
                client = Caller.ClientId(http.User),
                person = Caller.PersonId(http.User),
                requestId = http.TraceIdentifier,
                action,
                objectType,
                objectId,
            },
            transaction, cancellationToken: http.RequestAborted));
}
