using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace StatsApi.Tests.Infrastructure;

/// <summary>
/// The service's log kept in memory instead of on the console: the test output stays readable, and
/// tests can read what the service logged (a request's line, that no secret was written).
/// </summary>
public sealed class CapturedLogs : ILoggerProvider, ISupportExternalScope
{
    private readonly ConcurrentQueue<LogEntry> _entries = new();
    private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

    public IReadOnlyList<LogEntry> Entries => [.. _entries];

    /// <summary>Each entry as an operator would read it, to search for what must never be there.</summary>
    public IReadOnlyList<string> Lines => [.. _entries.Select(e => e.ToString())];

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    public void Dispose()
    {
    }

    private sealed class Logger(CapturedLogs logs, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => logs._scopes.Push(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var properties = new Dictionary<string, object?>(StringComparer.Ordinal);
            logs._scopes.ForEachScope((scope, all) => Add(all, scope), properties);
            Add(properties, state);
            logs._entries.Enqueue(new LogEntry(logLevel, category, formatter(state, exception), exception, properties));
        }

        private static void Add(Dictionary<string, object?> properties, object? values)
        {
            if (values is IEnumerable<KeyValuePair<string, object?>> pairs)
            {
                foreach (var (key, value) in pairs)
                {
                    properties[key] = value;
                }
            }
        }
    }
}

/// <summary>One line of the log: its message, exception, and the values of its template and scopes.</summary>
public sealed record LogEntry(LogLevel Level, string Category, string Message, Exception? Exception, IReadOnlyDictionary<string, object?> Properties)
{
    public override string ToString() =>
        $"{Level} {Category}: {Message} {string.Join(' ', Properties.Select(p => $"{p.Key}={p.Value}"))} {Exception}";
}
