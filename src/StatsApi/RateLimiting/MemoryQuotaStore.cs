namespace StatsApi.RateLimiting;

/// <summary>Quotas kept in this instance's memory: the store without Redis, and the fallback while Redis is unreachable.</summary>
internal sealed class MemoryQuotaStore(TimeProvider time)
{
    private const int SweepEvery = 4096;

    private readonly Dictionary<string, double> _tats = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private int _operations;

    public QuotaState[] Apply(QuotaOperation operation, TimeSpan window, IReadOnlyList<QuotaDraw> draws)
    {
        var now = (double)time.GetUtcNow().ToUnixTimeMilliseconds();
        lock (_lock)
        {
            var stored = draws.Select(d => _tats.TryGetValue(d.Key, out var tat) ? tat : (double?)null).ToArray();
            var (updated, states) = Gcra.Apply(operation, window.TotalMilliseconds, draws, stored, now);
            for (var i = 0; i < draws.Count; i++)
            {
                if (updated[i] is { } tat)
                {
                    _tats[draws[i].Key] = tat;
                }
                else
                {
                    _tats.Remove(draws[i].Key);
                }
            }
            // A key whose quota is whole again holds nothing worth keeping: dropping it bounds the memory
            // that callers (and addresses failing at the token endpoint) can make the instance hold.
            if (++_operations % SweepEvery == 0)
            {
                foreach (var key in _tats.Where(t => t.Value <= now).Select(t => t.Key).ToList())
                {
                    _tats.Remove(key);
                }
            }
            return states;
        }
    }
}
