using Microsoft.Extensions.Options;
using StatsApi.Redis;

namespace StatsApi.RateLimiting;

/// <summary>
/// Where quotas are kept: in Redis when it is configured and answers, so that every instance enforces
/// one quota; otherwise in this instance's memory. A Redis failure never fails a request: the request
/// is counted in memory, one warning is logged for the whole outage, and Redis is not asked again until
/// Redis:RetrySeconds have passed; once it answers, the shared quotas resume.
/// </summary>
internal sealed class QuotaStore(MemoryQuotaStore memory, RedisConnection redis, IOptions<RedisOptions> options, ILogger<QuotaStore> logger)
{
    private readonly RedisQuotaStore? _redis = redis.Configured ? new RedisQuotaStore(redis) : null;
    private readonly RedisOutage _outage = new(options.Value.RetrySeconds);

    public async ValueTask<QuotaState[]> ApplyAsync(QuotaOperation operation, TimeSpan window, IReadOnlyList<QuotaDraw> draws)
    {
        if (_redis is not null)
        {
            var shared = await _outage.AskAsync(redis, () => _redis.ApplyAsync(operation, window, draws), logger,
                meanwhile: "rate limits are counted in this instance's memory", back: "rate limits are shared by all instances once more");
            if (shared.Given)
            {
                return shared.Value;
            }
        }
        return memory.Apply(operation, window, draws);
    }
}
