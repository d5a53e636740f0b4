using System.Buffers;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace StatsApi.Logging;

/// <summary>
/// The server's log: one JSON object a line on stdout, in the shape of ASP.NET Core's JSON console
/// formatter (Timestamp, EventId, LogLevel, Category, Message, Exception, State, Scopes), so collectors
/// that read that shape read this one. Each line is formatted on the caller's thread into a reused buffer
/// and handed to a <see cref="JsonLinesWriter"/>.
/// </summary>
internal sealed class JsonLinesLoggerProvider(JsonLinesWriter writer, TimeProvider time) : ILoggerProvider, ISupportExternalScope
{
    private const string OriginalFormat = "{OriginalFormat}";
    private const string TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";

    // Not an HTML context: only what JSON itself requires is escaped, so paths and URLs stay readable.
    // Control characters are still escaped, so nothing a caller sends can start a line of its own.
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true };

    [ThreadStatic] private static ArrayBufferWriter<byte>? t_buffer;
    [ThreadStatic] private static Utf8JsonWriter? t_json;

    private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    public void Dispose() => writer.Dispose();

    private void Write<TState>(string category, LogLevel level, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(1024);
        buffer.ResetWrittenCount();
        var json = t_json ??= new Utf8JsonWriter(buffer, Options);
        json.Reset(buffer);

        json.WriteStartObject();
        Span<byte> timestamp = stackalloc byte[32];
        time.GetUtcNow().UtcDateTime.TryFormat(timestamp, out var length, TimestampFormat, CultureInfo.InvariantCulture);
        json.WriteString("Timestamp"u8, timestamp[..length]);
        json.WriteNumber("EventId"u8, eventId.Id);
        json.WriteString("LogLevel"u8, LevelName(level));
        json.WriteString("Category"u8, category);
        if (typeof(TState) == typeof(RequestLine))
        {
            // Every request's line: its message and fields go straight into the buffer, none through a string or a box.
            WriteRequestLine(json, Unsafe.As<TState, RequestLine>(ref state));
        }
        else
        {
            WriteMessageAndState(json, state, exception, formatter);
        }
        WriteScopes(json);
        json.WriteEndObject();
        json.Flush();
        writer.WriteLine(buffer.WrittenSpan);
    }

    private static void WriteRequestLine(Utf8JsonWriter json, in RequestLine line)
    {
        Span<byte> message = stackalloc byte[256];
        if (line.TryWriteMessage(message, out var written))
        {
            json.WriteString("Message"u8, message[..written]);
        }
        else
        {
            json.WriteString("Message"u8, line.ToString());
        }
        json.WriteStartObject("State"u8);
        json.WriteString("Method"u8, line.Method);
        WriteNullable(json, "Path"u8, line.Path);
        json.WriteNumber("Status"u8, line.Status);
        if (double.IsFinite(line.ElapsedMs))
        {
            json.WriteNumber("ElapsedMs"u8, line.ElapsedMs);
        }
        else
        {
            json.WriteString("ElapsedMs"u8, line.ElapsedMs.ToString(CultureInfo.InvariantCulture));
        }
        WriteNullable(json, "client_id"u8, line.ClientId);
        WriteNullable(json, "school_id"u8, line.SchoolId);
        WriteNullable(json, "error_code"u8, line.ErrorCode);
        json.WriteEndObject();
    }

    private static void WriteNullable(Utf8JsonWriter json, ReadOnlySpan<byte> name, string? value)
    {
        if (value is null)
        {
            json.WriteNull(name);
        }
        else
        {
            json.WriteString(name, value);
        }
    }

    private static void WriteMessageAndState<TState>(Utf8JsonWriter json, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        json.WriteString("Message"u8, formatter(state, exception));
        if (exception is not null)
        {
            json.WriteString("Exception"u8, exception.ToString());
        }
        if (state is IEnumerable<KeyValuePair<string, object?>> fields)
        {
            json.WriteStartObject("State"u8);
            WriteFields(json, fields);
            json.WriteEndObject();
        }
    }

    private void WriteScopes(Utf8JsonWriter json)
    {
        json.WriteStartArray("Scopes"u8);
        _scopes.ForEachScope(static (scope, json) =>
        {
            if (scope is IEnumerable<KeyValuePair<string, object?>> scopeFields)
            {
                json.WriteStartObject();
                WriteFields(json, scopeFields);
                json.WriteEndObject();
            }
            else if (scope is not null)
            {
                json.WriteStringValue(Convert.ToString(scope, CultureInfo.InvariantCulture));
            }
        }, json);
        json.WriteEndArray();
    }

    private static void WriteFields(Utf8JsonWriter json, IEnumerable<KeyValuePair<string, object?>> fields)
    {
        if (fields is IReadOnlyList<KeyValuePair<string, object?>> list)
        {
            // The shape of LoggerMessage's states and scopes: indexed, so no enumerator is allocated.
            for (var i = 0; i < list.Count; i++)
            {
                WriteField(json, list[i].Key, list[i].Value);
            }
            return;
        }
        foreach (var (name, value) in fields)
        {
            WriteField(json, name, value);
        }
    }

    private static void WriteField(Utf8JsonWriter json, string name, object? value)
    {
        if (name == OriginalFormat)
        {
            return;
        }
        switch (value)
        {
            case null:
                json.WriteNull(name);
                break;
            case string text:
                json.WriteString(name, text);
                break;
            case bool flag:
                json.WriteBoolean(name, flag);
                break;
            case int number:
                json.WriteNumber(name, number);
                break;
            case long number:
                json.WriteNumber(name, number);
                break;
            case double number when double.IsFinite(number):
                json.WriteNumber(name, number);
                break;
            default:
                json.WriteString(name, Convert.ToString(value, CultureInfo.InvariantCulture));
                break;
        }
    }

    private static string LevelName(LogLevel level) => level switch
    {
        LogLevel.Trace => "Trace",
        LogLevel.Debug => "Debug",
        LogLevel.Information => "Information",
        LogLevel.Warning => "Warning",
        LogLevel.Error => "Error",
        LogLevel.Critical => "Critical",
        _ => "None",
    };

    private sealed class Logger(JsonLinesLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => provider._scopes.Push(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel != LogLevel.None)
            {
                provider.Write(category, logLevel, eventId, state, exception, formatter);
            }
        }
    }
}
