using System.Diagnostics;
using StatsApi.Tests.Infrastructure;
using StatsApi.RateLimiting;
using StatsApi.Redis;

namespace StatsApi.Tests;

/// <summary>The Lua script Redis runs and the arithmetic memory runs answer alike.</summary>
public class QuotaStoreTests
{
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task RedisAndMemoryKeepQuotasAlike()
    {
        var memory = new MemoryQuotaStore(TimeProvider.System);
        await using var connection = new RedisConnection(TestRedis.Configuration, 1000);
        var redis = new RedisQuotaStore(connection);
        var run = Guid.NewGuid().ToString("N");
        var seven = new QuotaDraw($"{{{run}}}:seven", 7, 1);
        var small = new QuotaDraw($"{{{run}}}:small", 3, 1);
        var steps = new List<(QuotaOperation Operation, QuotaDraw[] Draws)>();
        // Seven of a quota of seven fit exactly, though w/7 is no exact float; the eighth waits w/7.
        steps.AddRange(Enumerable.Repeat((QuotaOperation.Take, new[] { seven }), 8));
        steps.Add((QuotaOperation.Refund, [seven]));
        // All or nothing: an amount larger than its quota never fits, and the other draw is not taken either.
        steps.Add((QuotaOperation.Take, [seven, small with { Amount = 5 }]));
        steps.Add((QuotaOperation.Take, [seven, small]));
        steps.Add((QuotaOperation.Block, [small]));
        steps.Add((QuotaOperation.Take, [small]));

        // Connected first, so that the two stores see each step at nearly the same moment.
        for (var attempt = 0; connection.Connecting && attempt < 100; attempt++)
        {
            await Task.Delay(50);
        }
        // And warm: the first call loads the script, which on a busy machine can take longer than the tolerance.
        await redis.ApplyAsync(QuotaOperation.Take, Window, [new QuotaDraw($"{{{run}}}:warm-up", 1, 1)]);
        // Both stores read the real clock (Redis its own TIME). A draw's state rests on the moment its quota
        // started, seen by each store in an earlier step, and on the moment of this step: the two stores'
        // times may differ by what those two steps took, so the tolerance is the longest step yet and this one.
        var sinceFirstTake = Stopwatch.StartNew();
        var longestStep = 0.0;
        foreach (var (operation, draws) in steps)
        {
            var step = Stopwatch.StartNew();
            var expected = memory.Apply(operation, Window, draws);
            var actual = await redis.ApplyAsync(operation, Window, draws);
            var took = step.Elapsed.TotalMilliseconds;
            longestStep = Math.Max(longestStep, took);
            var tolerance = longestStep + took + 50;
            for (var i = 0; i < draws.Length; i++)
            {
                Assert.Equal(expected[i].Refused, actual[i].Refused);
                Assert.Equal(expected[i].Remaining, actual[i].Remaining);
                Assert.InRange((actual[i].ResetAfter - expected[i].ResetAfter).Duration().TotalMilliseconds, 0, tolerance);
                Assert.InRange((actual[i].RetryAfter - expected[i].RetryAfter).Duration().TotalMilliseconds, 0, tolerance);
            }
        }
        var last = memory.Apply(QuotaOperation.Take, Window, [seven]);
        Assert.True(last[0].Refused);
        Assert.InRange(last[0].RetryAfter.TotalSeconds, 60.0 / 7 - sinceFirstTake.Elapsed.TotalSeconds - 0.05, 60.0 / 7);
        var blocked = memory.Apply(QuotaOperation.Take, Window, [small]);
        Assert.InRange(blocked[0].RetryAfter.TotalSeconds, 60 - sinceFirstTake.Elapsed.TotalSeconds - 0.05, 60);
    }
}
