using StackExchange.Redis;

namespace StatsApi.Redis;

/// <summary>
/// What a user of Redis knows of an outage: while Redis is down, one call in each Redis:RetrySeconds
/// asks it and the others take the fallback at once, and the start and end of each outage are told once.
/// </summary>
internal sealed class RedisOutage(int retrySeconds)
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

    /// <summary>
    /// Asks Redis unless it is not configured, still making its first connection, or down and not yet
    /// due for a retry; logs the start and the end of an outage once each, saying what holds meanwhile
    /// and what is back. No answer (not asked, or failed) is <c>default</c>: the caller's fallback.
    /// </summary>
    public async Task<RedisAnswer<T>> AskAsync<T>(RedisConnection redis, Func<Task<T>> ask, ILogger logger, string meanwhile, string back)
    {
        if (!redis.Configured || redis.Connecting || !MayAsk())
        {
            return default;
        }
        try
        {
            var answer = await ask();
            if (Answered())
            {
                logger.LogInformation("Redis answers again: {Back}", back);
            }
            return new RedisAnswer<T>(true, answer);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            if (Failed())
            {
                logger.LogWarning("Redis is unreachable ({Failure}: {Message}); {Meanwhile} until it answers, tried every {RetrySeconds} s",
                    ex.GetType().Name, ex.Message, meanwhile, RetrySeconds);
            }
            return default;
        }
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

/// <summary>What Redis answered, if it was asked and answered.</summary>
internal readonly record struct RedisAnswer<T>(bool Given, T Value);
