using System.Globalization;

namespace StatsApi.RateLimiting;

/// <summary>
/// The RateLimit-Policy and RateLimit fields of draft-ietf-httpapi-ratelimit-headers (structured-field
/// lists): one policy for requests and one for cost, each q units per w seconds, and what is left of each.
/// </summary>
internal static class RateLimitHeaders
{
    public const string Policy = "RateLimit-Policy";
    public const string Current = "RateLimit";
    public const string RequestsPolicy = "requests";
    public const string CostPolicy = "cost";

    public static string PolicyValue(TierLimit limit, int windowSeconds) => string.Create(CultureInfo.InvariantCulture,
        $"\"{RequestsPolicy}\";q={limit.Requests};w={windowSeconds}, \"{CostPolicy}\";q={limit.Cost};w={windowSeconds}");

    /// <summary>
    /// r is what is left; t the seconds until the quota is whole again, or, for a quota that refused the
    /// request, the seconds until the request fits (Retry-After), so Retry-After never precedes t's end.
    /// </summary>
    public static string CurrentValue(QuotaState requests, QuotaState cost) => string.Create(CultureInfo.InvariantCulture,
        $"\"{RequestsPolicy}\";r={requests.Remaining};t={EffectiveWindow(requests)}, \"{CostPolicy}\";r={cost.Remaining};t={EffectiveWindow(cost)}");

    /// <summary>Whole seconds, rounded up: a client that waits this long is never early.</summary>
    public static long Seconds(TimeSpan span) => (long)Math.Ceiling(span.TotalSeconds);

    private static long EffectiveWindow(QuotaState state) => Seconds(state.Refused ? state.RetryAfter : state.ResetAfter);
}
