namespace StatsApi.RateLimiting;

/// <summary>What to do with a set of quotas, all at once.</summary>
internal enum QuotaOperation
{
    /// <summary>Take each draw's amount if every one of them fits; otherwise take nothing.</summary>
    Take,

    /// <summary>Give back what an earlier take took.</summary>
    Refund,

    /// <summary>Spend the quota so that nothing fits for a whole window from now.</summary>
    Block,
}

/// <summary>An amount drawn from the quota kept under a key: <paramref name="Quota"/> units per window.</summary>
internal readonly record struct QuotaDraw(string Key, int Quota, int Amount);

/// <summary>A quota after an operation: what is left, when it is whole again, and, for a draw that did not fit, when it would.</summary>
internal readonly record struct QuotaState(long Remaining, TimeSpan ResetAfter, TimeSpan RetryAfter)
{
    public bool Refused => RetryAfter > TimeSpan.Zero;
}

/// <summary>
/// The generic cell rate algorithm (GCRA): a quota of q units per window w frees one unit every w/q
/// and holds at most q. Each key stores one number, the theoretical arrival time (TAT): the instant at
/// which its quota is whole again. An amount n fits when TAT + n·w/q − w ≤ now. This is the reference
/// arithmetic; <see cref="RedisQuotaStore"/> runs the same steps in Lua inside Redis.
/// </summary>
internal static class Gcra
{
    // Float rounding must not refuse an amount that fits exactly (7 takes of a quota of 7).
    private const double ToleranceMs = 0.01;

    /// <summary>Applies the operation to the TATs (milliseconds, as stored; null for a key never used or expired).</summary>
    public static (double?[] Tats, QuotaState[] States) Apply(QuotaOperation operation, double windowMs, IReadOnlyList<QuotaDraw> draws, double?[] stored, double nowMs)
    {
        var tats = new double[draws.Count];
        var fits = true;
        for (var i = 0; i < draws.Count; i++)
        {
            tats[i] = Math.Max(stored[i] ?? nowMs, nowMs);
            fits &= tats[i] + draws[i].Amount * Interval(draws[i], windowMs) - windowMs - nowMs <= ToleranceMs;
        }
        var updated = new double?[draws.Count];
        var states = new QuotaState[draws.Count];
        for (var i = 0; i < draws.Count; i++)
        {
            var interval = Interval(draws[i], windowMs);
            var tat = tats[i];
            var retryMs = 0.0;
            switch (operation)
            {
                case QuotaOperation.Take when fits:
                    tat += draws[i].Amount * interval;
                    break;
                case QuotaOperation.Take:
                    retryMs = Math.Max(0, tat + draws[i].Amount * interval - windowMs - nowMs);
                    break;
                case QuotaOperation.Refund:
                    tat = Math.Max(tat - draws[i].Amount * interval, nowMs);
                    break;
                case QuotaOperation.Block:
                    tat = Math.Max(tat, nowMs + 2 * windowMs - interval);
                    break;
            }
            updated[i] = tat > nowMs ? tat : null;
            states[i] = new QuotaState(
                Remaining: Math.Clamp((long)Math.Floor((windowMs - (tat - nowMs)) / interval + 1e-6), 0, draws[i].Quota),
                ResetAfter: TimeSpan.FromMilliseconds(tat - nowMs),
                RetryAfter: TimeSpan.FromMilliseconds(retryMs));
        }
        return (updated, states);
    }

    private static double Interval(QuotaDraw draw, double windowMs) => windowMs / draw.Quota;
}
