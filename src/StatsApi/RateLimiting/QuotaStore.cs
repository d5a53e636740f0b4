using Microsoft.Extensions.Options;
using StackExchange.Redis;
using StatsApi.Redis;

namespace StatsApi.RateLimiting;

/// <summary>
/// Where quotas are kept: in Redis when it is configured and answers, so that every instance enforces
/// one quota; otherwise in this instance's memory. A Redis failure never fails a request: the request
/// is counted in memory, one warning is logged for the whole outage, and Redis is not asked again until
/// Redis:RetrySeconds have passed; once it answers, the shared quotas resume.
/// </summary>
public sealed class QuotaStore(MemoryQuotaStore memory, RedisConnection redis, IOptions<RedisOptions> options, ILogger<QuotaStore> logger)
{
    private readonly RedisQuotaStore? _redis = redis.Configured ? new RedisQuotaStore(redis) : null;
    private readonly RedisOutage _outage = new(options.Value.RetrySeconds);

    public async ValueTask<QuotaState[]> ApplyAsync(QuotaOperation operation, TimeSpan window, IReadOnlyList<QuotaDraw> draws)
    {
        if (_redis is not null && !redis.Connecting && _outage.MayAsk())
        {
            try
            {
                var states = await _redis.ApplyAsync(operation, window, draws);
                if (_outage.Answered())
                {
                    logger.LogInformation("Redis answers again: rate limits are shared by all instances once more");
                }
                return states;
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                if (_outage.Failed())
                {
                    logger.LogWarning("Redis is unreachable ({Failure}: {Message}); rate limits are counted in this instance's memory until it answers, tried every {RetrySeconds} s",
                        ex.GetType().Name, ex.Message, _outage.RetrySeconds);
                }
            }
        }
        return memory.Apply(operation, window, draws);
    }
}
