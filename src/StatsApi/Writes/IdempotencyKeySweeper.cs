using Dapper;
using Npgsql;
using StatsApi.Data;

namespace StatsApi.Writes;

/// <summary>Deletes idempotency keys past their 24 hours, a batch at a time, so the table stays small.</summary>
internal sealed class IdempotencyKeySweeper(NpgsqlDataSource dataSource, ILogger<IdempotencyKeySweeper> logger) : BackgroundService
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

    /// <summary>
    /// Deletes the keys created before the lifetime ago, oldest first, in plain DELETEs of a window of creation
    /// times each, sized to about <see cref="BatchSize"/> keys. (Not a DELETE of a locked subquery: Citus
    /// runs this over every shard and refuses a row lock there.) Instances that sweep at once wait briefly
    /// on each other's batch and then find its keys gone.
    /// </summary>
    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        // The database's clock, as the keys' created_at is.
        var cutoff = await connection.ExecuteScalarAsync<DateTime>(new CommandDefinition(
            "select now() - @lifetime", new { lifetime = IdempotencyKeys.Lifetime }, cancellationToken: cancellationToken));
        var oldest = await connection.ExecuteScalarAsync<DateTime?>(new CommandDefinition(
            "select min(created_at) from idempotency_keys where created_at < @cutoff", new { cutoff }, cancellationToken: cancellationToken));
        var total = 0;
        var step = TimeSpan.FromMinutes(1);
        for (var from = oldest; from < cutoff;)
        {
            var before = from.Value + step < cutoff ? from.Value + step : cutoff;
            var deleted = await connection.ExecuteAsync(new CommandDefinition(
                "delete from idempotency_keys where created_at < @before", new { before }, cancellationToken: cancellationToken));
            total += deleted;
            from = before;
            step = deleted > 2 * BatchSize ? step / 2 : deleted < BatchSize / 2 ? step * 2 : step;
        }
        return total;
    }
}
