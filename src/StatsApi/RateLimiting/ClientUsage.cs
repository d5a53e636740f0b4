using System.Collections.Concurrent;
using Dapper;
using Npgsql;
using StatsApi.Auth;
using StatsApi.Data;

namespace StatsApi.RateLimiting;

/// <summary>One client's requests on one day (UTC): all of them, the 429s, and the other 4xx.</summary>
internal sealed record DailyUsage(DateOnly Day, long Requests, long Throttled, long ClientErrors);

/// <summary>
/// Counts each client's requests per day in memory, on the request path only by interlocked increments, and
/// adds the counts to client_usage_daily in one statement every <see cref="FlushInterval"/>, so every
/// instance's requests land in one table without a write per request.
/// </summary>
internal sealed class ClientUsage(NpgsqlDataSource dataSource, TimeProvider clock)
{
    public static readonly TimeSpan FlushInterval = TimeSpan.FromSeconds(5);

    private readonly ConcurrentDictionary<(string ClientId, DateOnly Day), Counts> _counts = new();

    public void Record(string clientId, int status)
    {
        var now = clock.GetUtcNow();
        var counts = _counts.GetOrAdd((clientId, DateOnly.FromDateTime(now.UtcDateTime)), static _ => new Counts());
        Interlocked.Increment(ref counts.Requests);
        if (status == StatusCodes.Status429TooManyRequests)
        {
            Interlocked.Increment(ref counts.Throttled);
        }
        else if (status is >= 400 and < 500)
        {
            Interlocked.Increment(ref counts.ClientErrors);
        }
        Interlocked.Exchange(ref counts.LastTicks, now.UtcTicks);
    }

    /// <summary>Adds what was counted since the last flush to the table; counts that could not be written are kept for the next.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        var today = DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);
        var rows = new List<(string ClientId, DateOnly Day, long Requests, long Throttled, long ClientErrors, long LastTicks)>();
        foreach (var ((clientId, day), counts) in _counts)
        {
            // Read and reset each count at once: an increment after the read goes into the next flush.
            var requests = Interlocked.Exchange(ref counts.Requests, 0);
            var throttled = Interlocked.Exchange(ref counts.Throttled, 0);
            var errors = Interlocked.Exchange(ref counts.ClientErrors, 0);
            if (requests > 0)
            {
                rows.Add((clientId, day, requests, throttled, errors, Interlocked.Read(ref counts.LastTicks)));
            }
            else if (day < today)
            {
                _counts.TryRemove((clientId, day), out _);
            }
        }
        if (rows.Count == 0)
        {
            return;
        }
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            await connection.ExecuteAsync(new CommandDefinition("""
                insert into client_usage_daily as u (client_id, day, requests, throttled, client_errors, last_request_at)
                select * from unnest(@clients, @days, @requests, @throttled, @errors, @last)
                on conflict (client_id, day) do update set
                    requests = u.requests + excluded.requests,
                    throttled = u.throttled + excluded.throttled,
                    client_errors = u.client_errors + excluded.client_errors,
                    last_request_at = greatest(u.last_request_at, excluded.last_request_at)
                """,
                new
                {
                    clients = rows.Select(r => r.ClientId).ToArray(),
                    days = rows.Select(r => r.Day).ToArray(),
                    requests = rows.Select(r => r.Requests).ToArray(),
                    throttled = rows.Select(r => r.Throttled).ToArray(),
                    errors = rows.Select(r => r.ClientErrors).ToArray(),
                    last = rows.Select(r => new DateTime(r.LastTicks, DateTimeKind.Utc)).ToArray(),
                }, cancellationToken: cancellationToken));
        }
        catch
        {
            foreach (var row in rows)
            {
                var counts = _counts.GetOrAdd((row.ClientId, row.Day), static _ => new Counts());
                Interlocked.Add(ref counts.Requests, row.Requests);
                Interlocked.Add(ref counts.Throttled, row.Throttled);
                Interlocked.Add(ref counts.ClientErrors, row.ClientErrors);
            }
            throw;
        }
    }

    /// <summary>Each client's days from <paramref name="days"/> ago to today, a zero for a day without a request, oldest first.</summary>
    public async Task<IReadOnlyDictionary<string, IReadOnlyList<DailyUsage>>> LastDaysAsync(IReadOnlyCollection<string> clientIds, int days,
        CancellationToken cancellationToken = default)
    {
        var today = DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);
        var first = today.AddDays(1 - days);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = (await connection.QueryAsync<(string ClientId, DateTime Day, long Requests, long Throttled, long ClientErrors)>(new CommandDefinition("""
            select client_id, day, requests, throttled, client_errors from client_usage_daily
            where client_id = any(@clientIds) and day between @first and @today
            """, new { clientIds = clientIds.ToArray(), first, today }, cancellationToken: cancellationToken)))
            .ToDictionary(r => (r.ClientId, DateOnly.FromDateTime(r.Day)));
        return clientIds.ToDictionary(id => id, IReadOnlyList<DailyUsage> (id) => Enumerable.Range(0, days).Select(offset => first.AddDays(offset))
            .Select(day => rows.TryGetValue((id, day), out var r) ? new DailyUsage(day, r.Requests, r.Throttled, r.ClientErrors) : new DailyUsage(day, 0, 0, 0))
            .ToList());
    }

    /// <summary>Each client's last request as recorded, null for one never used.</summary>
    public async Task<IReadOnlyDictionary<string, DateTime>> LastUseAsync(IReadOnlyCollection<string> clientIds, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<(string ClientId, DateTime Last)>(new CommandDefinition(
            "select client_id, max(last_request_at) from client_usage_daily where client_id = any(@clientIds) group by client_id",
            new { clientIds = clientIds.ToArray() }, cancellationToken: cancellationToken))).ToDictionary(r => r.ClientId, r => r.Last);
    }

    private sealed class Counts
    {
        public long Requests;
        public long Throttled;
        public long ClientErrors;
        public long LastTicks;
    }
}

/// <summary>Counts every request a token names a client for, whatever its answer, the 429s of the limiters included.</summary>
internal sealed class ClientUsageCounter(RequestDelegate next, ClientUsage usage)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var status = StatusCodes.Status500InternalServerError;
        try
        {
            await next(context);
            status = context.Response.StatusCode;
        }
        finally
        {
            if (context.User.Identity?.IsAuthenticated == true && Caller.ClientId(context.User) is { Length: > 0 } clientId)
            {
                usage.Record(clientId, status);
            }
        }
    }
}

/// <summary>Writes the counts every few seconds, and once more when the service stops.</summary>
internal sealed class ClientUsageFlusher(ClientUsage usage, ILogger<ClientUsageFlusher> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(ClientUsage.FlushInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await FlushAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        await FlushAsync(CancellationToken.None);
    }

    private async Task FlushAsync(CancellationToken cancellationToken)
    {
        try
        {
            await usage.FlushAsync(cancellationToken);
        }
        catch (Exception ex) when (DatabaseUnavailable.IsFromTheDatabase(ex))
        {
            logger.LogWarning(ex, "Could not write the clients' usage; keeping the counts for the next try");
        }
    }
}
