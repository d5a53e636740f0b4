using System.Collections;
using System.Globalization;
using System.Text.Unicode;

namespace StatsApi.Logging;

/// <summary>
/// The one line each request writes, as a typed state: <see cref="JsonLinesLoggerProvider"/> writes its
/// message and fields as UTF-8 straight into the line, with no message string and no boxed values. Any
/// other provider reads the same fields and message as it would from the template's own state.
/// </summary>
internal readonly struct RequestLine(string method, string? path, int status, double elapsedMs, string? clientId, string? schoolId, string? errorCode)
    : IReadOnlyList<KeyValuePair<string, object?>>
{
    public const string Template = "{Method} {Path} answered {Status} in {ElapsedMs:F1} ms";

    public static readonly EventId Event = new(1, "RequestAnswered");

    public static readonly Func<RequestLine, Exception?, string> Format = static (line, _) => line.ToString();

    public string Method { get; } = method;
    public string? Path { get; } = path;
    public int Status { get; } = status;
    public double ElapsedMs { get; } = elapsedMs;
    public string? ClientId { get; } = clientId;
    public string? SchoolId { get; } = schoolId;
    public string? ErrorCode { get; } = errorCode;

    public int Count => 8;

    // The names and order of the template's own state: its holes, then the other fields, then the template.
    public KeyValuePair<string, object?> this[int index] => index switch
    {
        0 => new("Method", Method),
        1 => new("Path", Path),
        2 => new("Status", Status),
        3 => new("ElapsedMs", ElapsedMs),
        4 => new("client_id", ClientId),
        5 => new("school_id", SchoolId),
        6 => new("error_code", ErrorCode),
        7 => new("{OriginalFormat}", Template),
        _ => throw new ArgumentOutOfRangeException(nameof(index)),
    };

    /// <summary>The message as the template formats it: invariant numbers, nothing for a missing path.</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Method} {Path} answered {Status} in {ElapsedMs:F1} ms");

    /// <summary>The message as UTF-8 into <paramref name="destination"/>; false when it does not fit.</summary>
    public bool TryWriteMessage(Span<byte> destination, out int written) =>
        Utf8.TryWrite(destination, CultureInfo.InvariantCulture, $"{Method} {Path} answered {Status} in {ElapsedMs:F1} ms", out written);

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
    {
        for (var i = 0; i < Count; i++)
        {
            yield return this[i];
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
