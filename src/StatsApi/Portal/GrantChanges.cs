using Dapper;
using Npgsql;

namespace StatsApi.Portal;

/// <summary>
/// A change of an organisation's grant: the first approval or decline of its access request, a request to add
/// schools approved or declined. <paramref name="Grant"/> is what the grant becomes, or null when it stays.
/// </summary>
internal sealed record GrantChange(long RequestId, long? SchoolRequestId, string Action, string Actor, Grant? Grant);

/// <summary>The one path every review changes a grant through, recorded in grant_events in the review's own transaction.</summary>
internal static class GrantChanges
{
    public static async Task ChangeAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, GrantChange change, CancellationToken cancellationToken)
    {
        var grant = change.Grant is { } g
            ? new { schools = g.Schools.Distinct().ToArray(), tier = g.Tier, scopes = g.Scopes.Distinct().ToArray() }
            : null;
        if (grant is not null)
        {
            await connection.ExecuteAsync(new CommandDefinition("""
                update access_requests set granted_schools = @schools, granted_tier = @tier, granted_scopes = @scopes
                where request_id = @requestId
                """, new { requestId = change.RequestId, grant.schools, grant.tier, grant.scopes }, transaction, cancellationToken: cancellationToken));
        }
        await connection.ExecuteAsync(new CommandDefinition("""
            insert into grant_events (request_id, school_request_id, action, actor, schools, tier, scopes)
            values (@requestId, @schoolRequestId, @action, @actor, @schools, @tier, @scopes)
            """,
            new { requestId = change.RequestId, schoolRequestId = change.SchoolRequestId, action = change.Action, actor = change.Actor, schools = grant?.schools, tier = grant?.tier, scopes = grant?.scopes },
            transaction, cancellationToken: cancellationToken));
    }
}
