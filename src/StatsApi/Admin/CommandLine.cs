namespace StatsApi.Admin;

/// <summary>A command's words: its positional arguments, its --options and its --flags.</summary>
internal sealed class CommandLine
{
    private readonly Dictionary<string, string> _options = new(StringComparer.Ordinal);
    private readonly HashSet<string> _flags = new(StringComparer.Ordinal);

    public List<string> Positional { get; } = [];

    public bool Json => _flags.Contains("json");

    public bool Help => _flags.Contains("help");

    /// <summary>Parses args; only the options named in <paramref name="valued"/> take a value.</summary>
    public static CommandLine Parse(IEnumerable<string> args, IReadOnlySet<string> valued)
    {
        var line = new CommandLine();
        using var words = args.GetEnumerator();
        while (words.MoveNext())
        {
            var word = words.Current;
            if (word is "-h")
            {
                line._flags.Add("help");
            }
            else if (word.StartsWith("--", StringComparison.Ordinal))
            {
                var name = word[2..];
                var equals = name.IndexOf('=', StringComparison.Ordinal);
                if (equals > 0)
                {
                    line._options[name[..equals]] = name[(equals + 1)..];
                }
                else if (valued.Contains(name))
                {
                    line._options[name] = words.MoveNext() ? words.Current : throw new UsageException($"--{name} needs a value.");
                }
                else
                {
                    line._flags.Add(name);
                }
            }
            else
            {
                line.Positional.Add(word);
            }
        }
        return line;
    }

    public string? Option(string name) => _options.GetValueOrDefault(name);

    public string Required(string name) =>
        Option(name) is { Length: > 0 } value ? value : throw new UsageException($"--{name} is required.");

    public IReadOnlyList<string> List(string name) =>
        (Option(name) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>Refuses options and flags the command does not know, so a typo is never silently ignored.</summary>
    public void Allow(params string[] names)
    {
        var unknown = _options.Keys.Concat(_flags).Except(names.Append("json").Append("help")).ToList();
        if (unknown.Count > 0)
        {
            throw new UsageException($"Unknown option: --{unknown[0]}.");
        }
    }
}

/// <summary>The command was called wrongly: exit code 2 and the command's help.</summary>
internal sealed class UsageException(string message) : Exception(message);
