using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;
using StatsApi.Data;

namespace StatsApi.Changes;

/// <summary>
/// Deletes changes older than Changes:RetentionDays, school by school, and notes where each school's log now
/// starts: a cursor before that answers 410 cursor_expired instead of skipping what was deleted.
/// </summary>
internal sealed class ChangeLogPruner(NpgsqlDataSource dataSource, IOptions<ChangeOptions> options, ILogger<ChangeLogPruner> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromHours(1));
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await PruneAsync(stoppingToken);
            }
            catch (Exception ex) when (DatabaseUnavailable.IsFromTheDatabase(ex))
            {
                logger.LogWarning(ex, "Could not prune the change log; trying again later");
            }
        }
    }

    /// <summary>Prunes every school's log up to its last change older than the retention (the database's clock); returns the rows deleted.</summary>
    public async Task<int> PruneAsync(CancellationToken cancellationToken)
    {
        var retentionDays = options.Value.RetentionDays;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var schools = (await connection.QueryAsync<string>(new CommandDefinition(
            "select distinct school_id from change_log where changed_at < now() - make_interval(days => @retentionDays)",
            new { retentionDays }, cancellationToken: cancellationToken))).ToList();
        var total = 0;
        foreach (var school in schools)
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            // By position, not by time alone: every row up to the last old one goes, so the log stays a suffix.
            var last = await connection.QuerySingleOrDefaultAsync<Position>(new CommandDefinition("""
                select txid::text::bigint as txid, change_id as change from change_log
                where school_id = @school and changed_at < now() - make_interval(days => @retentionDays)
                order by txid desc, change_id desc limit 1
                """, new { school, retentionDays }, transaction, cancellationToken: cancellationToken));
            if (last is null)
            {
                continue;
            }
            total += await connection.ExecuteAsync(new CommandDefinition("""
                delete from change_log where school_id = @school and (txid, change_id) <= (@Txid::text::xid8, @Change)
                """, new { school, last.Txid, last.Change }, transaction, cancellationToken: cancellationToken));
            await connection.ExecuteAsync(new CommandDefinition("""
                insert into change_log_pruned as p (school_id, txid, change_id) values (@school, @Txid::text::xid8, @Change)
                on conflict (school_id) do update set txid = excluded.txid, change_id = excluded.change_id
                """, new { school, last.Txid, last.Change }, transaction, cancellationToken: cancellationToken));
            await transaction.CommitAsync(cancellationToken);
        }
        return total;
    }

    private sealed record Position(long Txid, long Change);
}
