using Microsoft.Extensions.Diagnostics.HealthChecks;
using StatsApi.Data;

namespace StatsApi.Health;

/// <summary>
/// Ready means the database answers and every migration this build knows of is applied. The answer is
/// kept for a moment, so however many probes arrive, the database is asked at most once a window.
/// </summary>
internal sealed class DatabaseReadyCheck(Migrator migrator, TimeProvider time) : IHealthCheck
{
    public static readonly TimeSpan AnswerLifetime = TimeSpan.FromSeconds(2);

    private Answer? _last;

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (_last is { } last && time.GetUtcNow() - last.At < AnswerLifetime)
        {
            return last.Result;
        }
        var result = await AskAsync(cancellationToken);
        // An unhealthy answer is kept too: a database that is down or out of connections is not helped by
        // a query per probe, and the instance is out of rotation for at most one more window.
        _last = new Answer(result, time.GetUtcNow());
        return result;
    }

    private async Task<HealthCheckResult> AskAsync(CancellationToken cancellationToken)
    {
        try
        {
            var pending = await migrator.PendingAsync(cancellationToken);
            return pending.Count == 0
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Unhealthy($"Pending migrations: {string.Join(", ", pending)}");
        }
        catch (Exception ex) when (DatabaseUnavailable.IsFromTheDatabase(ex))
        {
            return HealthCheckResult.Unhealthy("Database unreachable", ex);
        }
    }

    private sealed record Answer(HealthCheckResult Result, DateTimeOffset At);
}
