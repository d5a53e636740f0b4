using Dapper;
using Npgsql;

namespace StatsApi.Changes;

/// <summary>One row of a school's change log: an object that changed in one transaction, and its keys as that transaction left them.</summary>
internal sealed record LogRow(string ObjectType, string ObjectKey, string Ref, long Txid, long ChangeId);

/// <summary>The SQL over change_log (migration 0015, decision 0015). Transaction ids travel as bigint: an xid8 fits.</summary>
internal static class ChangeLog
{
    private sealed record Stored(long Txid, long Change);

    /// <summary>The oldest transaction id that may still commit; every row of the log below it is final and visible.</summary>
    public static Task<long> HorizonAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string school, CancellationToken cancellationToken) =>
        connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "select change_log_horizon(@school)::text::bigint", new { school }, transaction, cancellationToken: cancellationToken));

    /// <summary>Where the school's log was pruned to: the start when never.</summary>
    public static async Task<ChangePosition> PrunedAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string school, CancellationToken cancellationToken)
    {
        var pruned = await connection.QuerySingleOrDefaultAsync<Stored>(new CommandDefinition(
            "select txid::text::bigint as txid, change_id as change from change_log_pruned where school_id = @school",
            new { school }, transaction, cancellationToken: cancellationToken));
        return pruned is Stored p ? new ChangePosition(school, p.Txid, p.Change) : ChangePosition.Start(school);
    }

    /// <summary>Up to <paramref name="limit"/> rows after the position, of the objects named, in (txid, change_id) order, below the horizon only.</summary>
    public static async Task<List<LogRow>> ReadAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, ChangePosition after, long horizon,
        string[] objects, int limit, CancellationToken cancellationToken) =>
        (await connection.QueryAsync<LogRow>(new CommandDefinition("""
            select object_type, object_key, ref::text as ref, txid::text::bigint as txid, change_id
            from change_log
            where school_id = @school
              and txid < @xmin::text::xid8
              and (txid, change_id) > (@txid::text::xid8, @change)
              and object_type = any(@objects)
            order by txid, change_id
            limit @limit
            """, new { school = after.School, xmin = horizon, txid = after.Txid, change = after.Change, objects, limit },
            transaction, cancellationToken: cancellationToken))).ToList();

    /// <summary>The last final row of the school's log, null when it holds none.</summary>
    public static async Task<ChangePosition?> NewestAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string school, long horizon,
        CancellationToken cancellationToken)
    {
        var newest = await connection.QuerySingleOrDefaultAsync<Stored>(new CommandDefinition("""
            select txid::text::bigint as txid, change_id as change from change_log
            where school_id = @school and txid < @xmin::text::xid8
            order by txid desc, change_id desc limit 1
            """, new { school, xmin = horizon }, transaction, cancellationToken: cancellationToken));
        return newest is Stored n ? new ChangePosition(school, n.Txid, n.Change) : null;
    }
}
