using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;
using StatsApi.Data;

namespace StatsApi.Privacy;

/// <summary>
/// Deletes what outlived the school's retention settings (decision 0014): raw marks of lessons before the
/// first day kept, a batch of lessons per transaction, adding their counts back to the rollups in the same
/// transaction so every summary stays exact; and audit events past their own limit. One instance at a time:
/// the others find the advisory lock taken and wait for the next round.
/// </summary>
internal sealed class RetentionJob(NpgsqlDataSource dataSource, IOptions<RetentionOptions> options, TimeProvider time, ILogger<RetentionJob> logger)
    : BackgroundService
{
    // pg_try_advisory_lock's key: "retain" in ASCII.
    private const long LockKey = 0x72_65_74_61_69_6E;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Value.MarksMonths is null && options.Value.AuditMonths is null)
        {
            return;
        }
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(options.Value.IntervalMinutes), time);
        do
        {
            try
            {
                await RunAsync(stoppingToken);
            }
            catch (Exception ex) when (DatabaseUnavailable.IsFromTheDatabase(ex))
            {
                logger.LogWarning(ex, "Could not delete expired data; trying again later");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>One round: what it deleted, or null when another instance holds the lock.</summary>
    public async Task<RetentionRound?> RunAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        if (!await connection.ExecuteScalarAsync<bool>(new CommandDefinition("select pg_try_advisory_lock(@LockKey)", new { LockKey }, cancellationToken: cancellationToken)))
        {
            return null;
        }
        try
        {
            var now = time.GetUtcNow();
            var schools = (await connection.QueryAsync<string>(new CommandDefinition(
                "select school_id from schools order by school_id", cancellationToken: cancellationToken))).ToList();
            var marks = 0;
            var events = 0;
            foreach (var school in schools)
            {
                if (options.Value.MarksMonths is { } months)
                {
                    marks += await ExpireMarksAsync(connection, school, now, months, cancellationToken);
                }
                if (options.Value.AuditMonths is { } auditMonths)
                {
                    events += await ExpireAuditAsync(connection, school, now.AddMonths(-auditMonths), cancellationToken);
                }
            }
            if (marks + events > 0)
            {
                logger.LogInformation("Retention deleted {Marks} marks and {AuditEvents} audit events", marks, events);
            }
            return new RetentionRound(marks, events);
        }
        finally
        {
            await connection.ExecuteAsync(new CommandDefinition("select pg_advisory_unlock(@LockKey)", new { LockKey }, cancellationToken: CancellationToken.None));
        }
    }

    private sealed record Expired(long LessonId, string Status);

    private async Task<int> ExpireMarksAsync(NpgsqlConnection connection, string school, DateTimeOffset now, int months, CancellationToken cancellationToken)
    {
        // The first day kept, in the school's own calendar: whole days expire, so a day is either all there or all gone.
        var keptFrom = await connection.ExecuteScalarAsync<DateTime?>(new CommandDefinition("""
            select ((@now at time zone time_zone)::date - make_interval(months => @months))::date from schools where school_id = @school
            """, new { school, now, months }, cancellationToken: cancellationToken));
        if (keptFrom is null)
        {
            return 0;
        }
        var total = 0;
        while (true)
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            var lessons = (await connection.QueryAsync<long>(new CommandDefinition("""
                select l.lesson_id from lessons l join schools s on s.school_id = l.school_id
                where l.school_id = @school and l.starts_at < (@keptFrom::date::timestamp at time zone s.time_zone)
                  and exists (select 1 from attendance_records a where a.school_id = @school and a.lesson_id = l.lesson_id)
                order by l.lesson_id limit @batch
                """, new { school, keptFrom, batch = options.Value.BatchLessons }, transaction, cancellationToken: cancellationToken))).ToArray();
            if (lessons.Length > 0)
            {
                var gone = (await connection.QueryAsync<Expired>(new CommandDefinition(
                    "delete from attendance_records where school_id = @school and lesson_id = any(@lessons) returning lesson_id, status",
                    new { school, lessons }, transaction, cancellationToken: cancellationToken))).ToList();
                // The delete's trigger took the marks out of the rollups; they go back in, so the counts stay what they were.
                await connection.ExecuteAsync(new CommandDefinition(
                    "select attendance_rollup_school(@school, @lessonIds, @statuses, @signs)",
                    new { school, lessonIds = gone.Select(g => g.LessonId).ToArray(), statuses = gone.Select(g => g.Status).ToArray(), signs = gone.Select(_ => 1).ToArray() },
                    transaction, cancellationToken: cancellationToken));
                total += gone.Count;
            }
            await connection.ExecuteAsync(new CommandDefinition("""
                insert into retention_horizons (school_id, marks_kept_from) values (@school, @keptFrom)
                on conflict (school_id) do update set marks_kept_from = greatest(retention_horizons.marks_kept_from, excluded.marks_kept_from)
                """, new { school, keptFrom }, transaction, cancellationToken: cancellationToken));
            await transaction.CommitAsync(cancellationToken);
            if (lessons.Length < options.Value.BatchLessons)
            {
                return total;
            }
        }
    }

    private async Task<int> ExpireAuditAsync(NpgsqlConnection connection, string school, DateTimeOffset before, CancellationToken cancellationToken)
    {
        var total = 0;
        var batch = options.Value.BatchLessons * 50;
        while (true)
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            // The trail is append-only but for this transaction, which says it is the retention job's (migration 0014).
            await connection.ExecuteAsync(new CommandDefinition("set local statsapi.audit_retention = 'on'", transaction: transaction, cancellationToken: cancellationToken));
            var deleted = await connection.ExecuteAsync(new CommandDefinition("""
                delete from audit_events where school_id = @school and event_id in (
                    select event_id from audit_events where school_id = @school and occurred_at < @before order by event_id limit @batch)
                """, new { school, before, batch }, transaction, cancellationToken: cancellationToken));
            await transaction.CommitAsync(cancellationToken);
            total += deleted;
            if (deleted < batch)
            {
                return total;
            }
        }
    }
}

/// <summary>What one round of the retention job deleted.</summary>
internal sealed record RetentionRound(int Marks, int AuditEvents);
