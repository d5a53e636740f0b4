using Dapper;
using Npgsql;
using StatsApi.Data;

namespace StatsApi.Writes;

/// <summary>Deletes idempotency keys past their 24 hours, a batch at a time, so the table stays small.</summary>
public sealed class IdempotencyKeySweeper(NpgsqlDataSource dataSource, ILogger<IdempotencyKeySweeper> logger) : BackgroundService
{
    private const int BatchSize = 5000;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(10));
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await SweepAsync(stoppingToken);
            }
            catch (Exception ex) when (DatabaseUnavailable.IsFromTheDatabase(ex))
            {
                logger.LogWarning(ex, "Could not delete expired idempotency keys; trying again later");
            }
        }
    }

    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        var total = 0;
        int deleted;
        do
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            // Several instances may sweep at once: skip locked rows rather than queue behind each other.
            deleted = await connection.ExecuteAsync(new CommandDefinition("""
                delete from idempotency_keys where (school_id, client_id, idempotency_key) in (
                    select school_id, client_id, idempotency_key from idempotency_keys where created_at < now() - @lifetime
                    limit @batch for update skip locked)
                """, new { lifetime = IdempotencyKeys.Lifetime, batch = BatchSize }, cancellationToken: cancellationToken));
            total += deleted;
        }
        while (deleted == BatchSize);
        return total;
    }
}
