using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

/// <summary>One scenario's figures as wrk measured them.</summary>
internal sealed record LoadResult(double RequestsPerSecond, double P50Ms, double P99Ms, long Requests, long Non2xx, long Errors);

/// <summary>Runs wrk (Debian's package) against a base address with a file of prepared requests.</summary>
internal static partial class Wrk
{
    public static async Task<LoadResult> RunAsync(Uri baseAddress, string requestFile, int connections, TimeSpan duration, bool sequence = false)
    {
        var script = Path.Combine(AppContext.BaseDirectory, "requests.lua");
        var threads = Math.Min(Environment.ProcessorCount, connections);
        var start = new ProcessStartInfo("wrk",
        [
            "-t", threads.ToString(CultureInfo.InvariantCulture), "-c", connections.ToString(CultureInfo.InvariantCulture),
            "-d", $"{(int)duration.TotalSeconds}s", "--latency", "--timeout", "10s", "-s", script, baseAddress.ToString(),
            "--", requestFile, sequence ? "sequence" : "random", threads.ToString(CultureInfo.InvariantCulture),
        ])
        { RedirectStandardOutput = true, RedirectStandardError = true };
        using var wrk = Process.Start(start) ?? throw new InvalidOperationException("wrk did not start; install it with apt-get install wrk.");
        var output = await wrk.StandardOutput.ReadToEndAsync();
        var error = await wrk.StandardError.ReadToEndAsync();
        await wrk.WaitForExitAsync();
        if (wrk.ExitCode != 0)
        {
            throw new InvalidOperationException($"wrk failed: {error}{output}");
        }
        return new LoadResult(
            Number(RequestsPerSecond(), output),
            Latency(output, "50%"),
            Latency(output, "99%"),
            (long)Number(Requests(), output),
            (long)Number(Non2xx(), output, fallback: 0),
            (long)(Number(SocketErrors(), output, fallback: 0) + Number(Timeouts(), output, fallback: 0)));
    }

    private static double Number(Regex pattern, string output, double? fallback = null) =>
        pattern.Match(output) is { Success: true } match
            ? double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture)
            : fallback ?? throw new InvalidOperationException($"wrk's output lacks {pattern}: {output}");

    private static double Latency(string output, string percentile)
    {
        var match = Regex.Match(output, $@"^\s*{Regex.Escape(percentile)}\s+([\d.]+)(us|ms|s)\s*$", RegexOptions.Multiline);
        if (!match.Success)
        {
            return double.NaN;
        }
        var value = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        return match.Groups[2].Value switch { "us" => value / 1000, "s" => value * 1000, _ => value };
    }

    [GeneratedRegex(@"Requests/sec:\s+([\d.]+)")]
    private static partial Regex RequestsPerSecond();

    [GeneratedRegex(@"(\d+) requests in")]
    private static partial Regex Requests();

    [GeneratedRegex(@"Non-2xx or 3xx responses:\s+(\d+)")]
    private static partial Regex Non2xx();

    [GeneratedRegex(@"Socket errors: connect (\d+)")]
    private static partial Regex SocketErrors();

    [GeneratedRegex(@"timeout (\d+)")]
    private static partial Regex Timeouts();
}
