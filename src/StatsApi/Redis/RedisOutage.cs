namespace StatsApi.Redis;

/// <summary>
/// What a user of Redis knows of an outage: while Redis is down, one call in each Redis:RetrySeconds
/// asks it and the others take the fallback at once, and the start and end of each outage are told once.
/// </summary>
public sealed class RedisOutage(int retrySeconds)
{
    private readonly long _retryMilliseconds = retrySeconds * 1000L;
    private long _retryAt;
    private int _down;

    public int RetrySeconds => retrySeconds;

    public bool MayAsk()
    {
        var retryAt = Volatile.Read(ref _retryAt);
        if (retryAt == 0)
        {
            return true;
        }
        var now = Environment.TickCount64;
        return now >= retryAt && Interlocked.CompareExchange(ref _retryAt, now + _retryMilliseconds, retryAt) == retryAt;
    }

    /// <summary>Redis answered; true when that ends an outage.</summary>
    public bool Answered()
    {
        Volatile.Write(ref _retryAt, 0);
        return Interlocked.Exchange(ref _down, 0) == 1;
    }

    /// <summary>Redis failed; true when that begins an outage.</summary>
    public bool Failed()
    {
        Volatile.Write(ref _retryAt, Environment.TickCount64 + _retryMilliseconds);
        return Interlocked.Exchange(ref _down, 1) == 0;
    }
}
