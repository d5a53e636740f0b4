namespace StatsApi.Admin;

/// <summary>
/// The executable's arguments, split into the settings in front (the host's own options and
/// configuration keys, as ASP.NET Core reads them from a command line) and the command after them.
/// No command means: serve.
/// </summary>
internal sealed record HostArguments(string[] Settings, string[] Command)
{
    /// <summary>The options ASP.NET Core's host reads itself; any other setting is a configuration key.</summary>
    private static readonly string[] HostOptions =
    [
        WebHostDefaults.ServerUrlsKey, WebHostDefaults.EnvironmentKey, WebHostDefaults.ContentRootKey, WebHostDefaults.ApplicationKey,
        WebHostDefaults.HttpPortsKey, WebHostDefaults.HttpsPortsKey, WebHostDefaults.WebRootKey, WebHostDefaults.DetailedErrorsKey,
        WebHostDefaults.ShutdownTimeoutKey, WebHostDefaults.PreferHostingUrlsKey, WebHostDefaults.SuppressStatusMessagesKey,
        WebHostDefaults.CaptureStartupErrorsKey, WebHostDefaults.HostingStartupAssembliesKey,
        WebHostDefaults.HostingStartupExcludeAssembliesKey, WebHostDefaults.PreventHostingStartupKey,
    ];

    public bool IsCommand => Command.Length > 0;

    /// <summary>
    /// Settings are --name=value, or --name value when the name is a host option (--urls, --environment,
    /// --contentRoot, ...) or a configuration key (--Section:Key). A word that is neither starts the command,
    /// so a stray flag such as --json is an unknown command rather than a setting of a server. A setting whose
    /// name is a near miss of a host option (--url) is refused: it would otherwise be ignored in silence.
    /// </summary>
    public static HostArguments Split(string[] args)
    {
        var settings = new List<string>();
        var i = 0;
        while (i < args.Length && args[i].StartsWith("--", StringComparison.Ordinal))
        {
            var word = args[i];
            var equals = word.IndexOf('=', StringComparison.Ordinal);
            var name = equals > 0 ? word[2..equals] : word[2..];
            if (!IsKey(name))
            {
                break;
            }
            if (NearMiss(name) is { } meant)
            {
                throw new UsageException($"Unknown option '--{name}'. Did you mean '--{meant}'?");
            }
            if (equals > 0)
            {
                settings.Add(word);
                i++;
            }
            else if (IsHostOption(name) || name.Contains(':', StringComparison.Ordinal))
            {
                if (i + 1 == args.Length || args[i + 1].StartsWith("--", StringComparison.Ordinal))
                {
                    throw new UsageException($"'--{name}' needs a value, such as --{name}=VALUE or --{name} VALUE.");
                }
                settings.Add(word);
                settings.Add(args[i + 1]);
                i += 2;
            }
            else
            {
                break;
            }
        }
        return new HostArguments([.. settings], args[i..]);
    }

    private static bool IsKey(string name) =>
        name.Length > 0 && char.IsAsciiLetter(name[0]) && name.All(c => char.IsAsciiLetterOrDigit(c) || c is ':' or '_' or '.' or '-');

    private static bool IsHostOption(string name) => HostOptions.Contains(name, StringComparer.OrdinalIgnoreCase);

    private static string? NearMiss(string name) =>
        name.Contains(':', StringComparison.Ordinal) || IsHostOption(name) ? null : Suggestions.Closest(name, HostOptions);
}

/// <summary>"Did you mean": the known word a mistyped one most likely meant.</summary>
internal static class Suggestions
{
    /// <summary>The candidate within two edits of the word (ignoring case), or null when none is that close.</summary>
    public static string? Closest(string word, IEnumerable<string> candidates) =>
        candidates
            .Select(candidate => (candidate, distance: Distance(word.ToLowerInvariant(), candidate.ToLowerInvariant())))
            .Where(c => c.distance <= Math.Min(2, Math.Max(1, word.Length / 3)))
            .OrderBy(c => c.distance)
            .Select(c => c.candidate)
            .FirstOrDefault();

    // Levenshtein distance with adjacent transpositions counted as one edit.
    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }
        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }
        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }
        return d[a.Length, b.Length];
    }
}
