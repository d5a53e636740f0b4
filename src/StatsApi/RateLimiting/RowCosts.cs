using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using StatsApi.Http;

namespace StatsApi.RateLimiting;

/// <summary>
/// The cost of an operation that reads rows by the thousand (the attendance export): besides its own cost,
/// a unit per <see cref="RowsPerUnit"/> rows it may read, taken from the caller's cost quota before the first
/// byte, and the units of rows it did not read given back at the end. So its cost is the rows it read.
/// </summary>
internal static class RowCosts
{
    public const int RowsPerUnit = 10_000;

    public static int UnitsFor(long rows) => (int)((rows + RowsPerUnit - 1) / RowsPerUnit);

    /// <summary>Takes the units, or answers 429 quota_exceeded (with Retry-After) when they do not fit.</summary>
    public static async Task<ProblemHttpResult?> TakeAsync(HttpContext http, int units)
    {
        var (draw, window, tier) = DrawOf(http, units);
        var state = (await Quotas(http).ApplyAsync(QuotaOperation.Take, window, [draw]))[0];
        if (!state.Refused)
        {
            return null;
        }
        var wait = Math.Max(1, RateLimitHeaders.Seconds(state.RetryAfter));
        http.Response.Headers.RetryAfter = wait.ToString(CultureInfo.InvariantCulture);
        return Problems.Create(StatusCodes.Status429TooManyRequests, "quota_exceeded", "The cost quota is spent.",
            $"Reading up to this many rows costs {units} ({RowsPerUnit} rows a unit), and {state.Remaining} of the {tier} tier's {draw.Quota} is left; ask for fewer rows (limit) or retry after {wait} seconds.");
    }

    public static async Task RefundAsync(HttpContext http, int units)
    {
        if (units > 0)
        {
            var (draw, window, _) = DrawOf(http, units);
            await Quotas(http).ApplyAsync(QuotaOperation.Refund, window, [draw]);
        }
    }

    private static QuotaStore Quotas(HttpContext http) => http.RequestServices.GetRequiredService<QuotaStore>();

    private static (QuotaDraw Draw, TimeSpan Window, string Tier) DrawOf(HttpContext http, int units)
    {
        var settings = http.RequestServices.GetRequiredService<IOptions<RateLimitOptions>>().Value;
        var (tier, limit) = settings.LimitOf(http.User.FindFirst("tier")?.Value);
        return (new QuotaDraw($"{{{TierLimiter.Partition(http.User)}}}:{RateLimitHeaders.CostPolicy}", limit.Cost, units), settings.Window, tier);
    }
}
