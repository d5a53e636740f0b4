using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using StatsApi.Data;
using StatsApi.Redis;

namespace StatsApi.Standbys;

/// <summary>
/// Which clients wrote within the last Database:MaxReplicaLagSeconds: their reads go to the primary, so
/// that a client reads what it has just written however far behind a standby is. Kept in Redis when it
/// is configured, so that a write through one instance is known to all of them behind the load balancer,
/// and in this instance's memory besides. While Redis does not answer, every client counts as having
/// written: reads go to the primary rather than risk missing a write.
/// </summary>
internal sealed class RecentWrites(RedisConnection redis, IOptions<RedisOptions> redisOptions, IOptions<DatabaseOptions> database,
    TimeProvider time, ILogger<RecentWrites> logger)
{
    public const string KeyPrefix = "statsapi:wrote:";

    private const int SweepEvery = 1024;

    private readonly TimeSpan _window = TimeSpan.FromSeconds(database.Value.MaxReplicaLagSeconds);
    private readonly RedisOutage _outage = new(redisOptions.Value.RetrySeconds);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _memory = new(StringComparer.Ordinal);
    private int _notes;

    /// <summary>After a write by the client reached the database, whether or not it committed.</summary>
    public async Task NoteAsync(string client)
    {
        var now = time.GetUtcNow();
        _memory[client] = now + _window;
        // Only clients that wrote lately are worth keeping: this bounds the memory however many write.
        if (Interlocked.Increment(ref _notes) % SweepEvery == 0)
        {
            foreach (var entry in _memory.Where(e => e.Value <= now))
            {
                _memory.TryRemove(entry);
            }
        }
        await AskRedisAsync(db => db.StringSetAsync(KeyPrefix + client, 1, _window));
    }

    public async ValueTask<bool> WroteRecentlyAsync(string client)
    {
        if (_memory.TryGetValue(client, out var until) && until > time.GetUtcNow())
        {
            return true;
        }
        return redis.Configured && (await AskRedisAsync(db => db.KeyExistsAsync(KeyPrefix + client)) ?? true);
    }

    // Null when Redis was not asked (still connecting, or down) or did not answer.
    private async Task<bool?> AskRedisAsync(Func<IDatabase, Task<bool>> ask)
    {
        var answer = await _outage.AskAsync(redis, async () => await ask(await redis.DatabaseAsync()), logger,
            meanwhile: "clients' reads go to the primary", back: "clients that wrote lately are known to every instance once more");
        return answer.Given ? answer.Value : null;
    }
}
