using System.Globalization;
using StatsApi.RateLimiting;

namespace StatsApi.Portal;

/// <summary>
/// An application's last days as bars drawn by the server: the height of each day's requests, its 429s and other
/// 4xx in their own colours at the foot, and the same numbers as text for whoever cannot see the picture.
/// </summary>
internal sealed record UsageChart(string Id, string Name, IReadOnlyList<DailyUsage> Days)
{
    public const int Width = 560;
    public const int Height = 120;
    private const int Top = 14;
    private const int Bottom = 18;

    public long Requests => Days.Sum(d => d.Requests);
    public long Throttled => Days.Sum(d => d.Throttled);
    public long ClientErrors => Days.Sum(d => d.ClientErrors);
    public long Highest => Math.Max(1, Days.Max(d => d.Requests));

    public string Summary => Requests == 0
        ? $"No request in the last {Days.Count} days."
        : $"{Requests} {(Requests == 1 ? "request" : "requests")} in the last {Days.Count} days, of which {Throttled} were refused with 429 (rate limited) and " +
          $"{ClientErrors} answered another 4xx. The busiest day was {Label(Days.MaxBy(d => d.Requests)!.Day)} with {Highest}.";

    public double BarWidth => (double)Width / Days.Count;

    public string X(int index) => Format(index * BarWidth + 2);

    public string W => Format(BarWidth - 4);

    /// <summary>The top of a bar of this many requests, and its height.</summary>
    public (string Y, string Height) Bar(long count)
    {
        var height = (Height - Top - Bottom) * (double)count / Highest;
        return (Format(Height - Bottom - height), Format(height));
    }

    public static int Baseline => Height - Bottom;

    public static string Label(DateOnly day) => day.ToString("d MMM", CultureInfo.InvariantCulture);

    public static string Iso(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static string Format(double value) => value.ToString("0.#", CultureInfo.InvariantCulture);
}
