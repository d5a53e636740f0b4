using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace StatsApi.Tests.Infrastructure;

/// <summary>One statement the service ran during the tests, and the file of the service's code that ran it.</summary>
public sealed record RunStatement(string Source, string Sql)
{
    public override string ToString() => $"{Source}: {System.Text.RegularExpressions.Regex.Replace(Sql, @"\s+", " ").Trim()}";
}

/// <summary>
/// The SQL the service runs while the tests run, as Npgsql itself reports each command (its "Npgsql"
/// activities carry the text in db.query.text), so the Citus checks read what is really sent, however the
/// code spells or builds it. A command counts as the service's when the nearest code of this solution on
/// its call stack is the service's, and is named by the file of that code's type: the tests' own look-ups
/// and set-up are left out, the service's code that a test calls directly (the command line, the
/// background jobs, the migrator) is in. With
/// STATSAPI_TEST_STATEMENTS naming a file, each distinct statement is appended to it as it is first seen,
/// one JSON object a line, so the file holds what a whole run ran even if the run is cut short.
/// </summary>
public static class RunStatements
{
    public const string RecordVariable = "STATSAPI_TEST_STATEMENTS";

    private static readonly Assembly Service = typeof(Program).Assembly;
    private static readonly Assembly Tests = typeof(RunStatements).Assembly;
    private static readonly ConcurrentDictionary<string, bool> Seen = new(StringComparer.Ordinal);
    private static readonly Lock Writing = new();
    private const string CallSite = "statsapi.source";
    private static ActivityListener? _listener;

    // Before any test, whichever runs first: a statement run before the listener starts would go unseen.
#pragma warning disable CA2255 // A test assembly is not a library others load.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Start()
    {
        if (Environment.GetEnvironmentVariable(RecordVariable) is not { Length: > 0 } file)
        {
            return;
        }
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Npgsql",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
            ActivityStarted = Locate,
            ActivityStopped = activity => Record(file, activity),
        };
        ActivitySource.AddActivityListener(_listener);
    }

    // On the caller's stack, which only the start of a command is sure to run on; Npgsql tags the text after.
    private static void Locate(Activity activity)
    {
        if (ServiceFrame(new StackTrace(1, false))?.GetMethod()?.DeclaringType is not { } type)
        {
            return;
        }
        while (type.DeclaringType is not null)
        {
            type = type.DeclaringType;
        }
        activity.SetCustomProperty(CallSite, SourceOf(type));
    }

    private static void Record(string file, Activity activity)
    {
        if (activity.GetCustomProperty(CallSite) is not string source || activity.GetTagItem("db.query.text") is not string sql
            || !Seen.TryAdd($"{source}\n{sql}", true))
        {
            return;
        }
        var line = JsonSerializer.Serialize(new RunStatement(source, sql));
        lock (Writing)
        {
            File.AppendAllText(file, line + "\n");
        }
    }

    /// <summary>The frame of the service's code nearest the command, or null when the tests' own code is nearer.</summary>
    private static StackFrame? ServiceFrame(StackTrace trace)
    {
        foreach (var frame in trace.GetFrames())
        {
            var assembly = frame.GetMethod()?.DeclaringType?.Assembly;
            if (assembly == Service)
            {
                return frame;
            }
            if (assembly == Tests)
            {
                return null;
            }
        }
        return null;
    }

    // The file of the type below src/StatsApi/, as SchoolDistribution.Spanning names it: each namespace is
    // a folder and each file is named for its type.
    private static string SourceOf(Type type) =>
        type.FullName![((type.Namespace?.IndexOf('.', StringComparison.Ordinal) ?? -1) + 1)..].Replace('.', '/') + ".cs";

    /// <summary>The statements a run recorded in <paramref name="file"/>, each of a command's statements on its own.</summary>
    public static IReadOnlyList<RunStatement> Read(string file) =>
        File.ReadLines(file)
            .Where(l => l.Length > 0)
            .Select(l => JsonSerializer.Deserialize<RunStatement>(l)!)
            .SelectMany(s => SqlText.Split(s.Sql).Select(sql => s with { Sql = sql }))
            .Distinct()
            .ToList();
}
