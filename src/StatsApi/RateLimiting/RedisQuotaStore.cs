using System.Globalization;
using StackExchange.Redis;
using StatsApi.Redis;

namespace StatsApi.RateLimiting;

/// <summary>
/// Quotas kept in Redis, so every instance draws from the same ones: each operation is one Lua script,
/// atomic in Redis, on Redis's own clock (instances' clocks may differ). It throws when Redis does not
/// answer in time; <see cref="QuotaStore"/> then falls back to memory.
/// </summary>
internal sealed class RedisQuotaStore(RedisConnection redis)
{
    public const string KeyPrefix = "statsapi:quota:";

    // Gcra.Apply, step for step. KEYS: one per draw; ARGV: operation, window (ms), then quota and amount per draw.
    // Returns the TAT-derived state of each draw: remaining, reset (ms), retry (ms).
    private const string Script = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
        local op = ARGV[1]
        local window = tonumber(ARGV[2])
        local tats, intervals, amounts, quotas = {}, {}, {}, {}
        local fits = true
        for i = 1, #KEYS do
          quotas[i] = tonumber(ARGV[1 + 2 * i])
          amounts[i] = tonumber(ARGV[2 + 2 * i])
          intervals[i] = window / quotas[i]
          local stored = redis.call('GET', KEYS[i])
          tats[i] = math.max(stored and tonumber(stored) or now, now)
          if tats[i] + amounts[i] * intervals[i] - window - now > 0.01 then fits = false end
        end
        local result = {}
        for i = 1, #KEYS do
          local tat, interval = tats[i], intervals[i]
          local retry = 0
          if op == 'take' then
            if fits then tat = tat + amounts[i] * interval
            else retry = math.max(0, tat + amounts[i] * interval - window - now) end
          elseif op == 'refund' then
            tat = math.max(tat - amounts[i] * interval, now)
          elseif op == 'block' then
            tat = math.max(tat, now + 2 * window - interval)
          end
          if tat > now then
            redis.call('SET', KEYS[i], string.format('%.3f', tat), 'PX', math.ceil(tat - now))
          else
            redis.call('DEL', KEYS[i])
          end
          local remaining = math.floor((window - (tat - now)) / interval + 0.000001)
          result[#result + 1] = math.max(0, math.min(quotas[i], remaining))
          result[#result + 1] = math.ceil(tat - now)
          result[#result + 1] = math.ceil(retry)
        end
        return result
        """;

    public async Task<QuotaState[]> ApplyAsync(QuotaOperation operation, TimeSpan window, IReadOnlyList<QuotaDraw> draws)
    {
        var keys = draws.Select(d => new RedisKey(KeyPrefix + d.Key)).ToArray();
        var values = new List<RedisValue>
        {
            operation.ToString().ToLowerInvariant(),
            ((long)window.TotalMilliseconds).ToString(CultureInfo.InvariantCulture),
        };
        foreach (var draw in draws)
        {
            values.Add(draw.Quota);
            values.Add(draw.Amount);
        }
        var result = (RedisResult[])(await (await redis.DatabaseAsync()).ScriptEvaluateAsync(Script, keys, [.. values]))!;
        return [.. draws.Select((_, i) => new QuotaState(
            Remaining: (long)result[3 * i],
            ResetAfter: TimeSpan.FromMilliseconds((long)result[3 * i + 1]),
            RetryAfter: TimeSpan.FromMilliseconds((long)result[3 * i + 2])))];
    }
}
