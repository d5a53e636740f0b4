using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using StatsApi.Logging;
using StatsApi.Tests.Infrastructure;

namespace StatsApi.Tests;

/// <summary>The service writing its production JSON-lines log, so a request's own line can be read as a collector reads it.</summary>
public sealed class RequestLineFactory : StatsApiFactory
{
    public LogSinkStream JsonLines { get; } = new();

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        WithServices(services => services.AddSingleton<ILoggerProvider>(
            _ => new JsonLinesLoggerProvider(new JsonLinesWriter(JsonLines), TimeProvider.System)));
    }
}

/// <summary>
/// The line each request writes is written straight into the log's buffer from a typed state; these
/// prove it holds the same bytes the message template wrote, and pin the fields a collector reads.
/// </summary>
public partial class RequestLineTests(RequestLineFactory app) : IClassFixture<RequestLineFactory>
{
    private static readonly DateTimeOffset At = new(2026, 12, 7, 3, 4, 5, 678, TimeSpan.Zero);

    public static TheoryData<string, string?, int, double, string?, string?, string?> Requests => new()
    {
        { "GET", "/health/live", 200, 0.0412, null, null, null },
        { "GET", "/stats/v1/attendance/summary", 403, 12.3456, "tool-1", null, "school_not_approved" },
        { "POST", "/v1/schools/oakwood-primary/lessons", 201, 1234.95, "tool-2", "oakwood-primary", null },
        { "GET", null, 404, 0, null, null, "not_found" },
        { "GET", "/a \"quoted\"\n<path>&'é☃𝄞\\", 400, 99999.999, "c\"l", "s\u0001", "e" },
        { "DELETE", "/" + new string('x', 600), 204, 1e-7, null, "s", null },
        { "GET", "/x", 500, double.NaN, null, null, "internal_error" },
    };

    [Theory]
    [MemberData(nameof(Requests))]
    public void TheRequestLineHoldsTheSameBytesAsTheTemplateWrote(
        string method, string? path, int status, double elapsedMs, string? clientId, string? schoolId, string? errorCode)
    {
        var typed = Line(logger => logger.Log(LogLevel.Information, RequestLine.Event,
            new RequestLine(method, path, status, elapsedMs, clientId, schoolId, errorCode), null, RequestLine.Format));
        var templated = Line(logger => Templated(logger, method, path, status, elapsedMs, clientId, schoolId, errorCode));

        Assert.Equal(templated, typed);
    }

    [Fact]
    public void AnotherProviderReadsTheSameFieldsAndMessageAsFromTheTemplate()
    {
        var line = new RequestLine("GET", null, 403, 1.25, "tool-1", null, "school_not_approved");
        var fields = new List<KeyValuePair<string, object?>>();
        var message = "";
        var capture = new FieldCapture((state, text) => (fields, message) = (state, text));
        capture.Log(LogLevel.Information, RequestLine.Event, line, null, RequestLine.Format);
        var expectedFields = new List<KeyValuePair<string, object?>>();
        var expectedMessage = "";
        var templated = new FieldCapture((state, text) => (expectedFields, expectedMessage) = (state, text));
        Templated(templated, "GET", null, 403, 1.25, "tool-1", null, "school_not_approved");

        Assert.Equal(expectedMessage, message);
        Assert.Equal(expectedFields, fields);
    }

    [Fact]
    public async Task ARequestsLineNamesItsRequestCallerSchoolAndErrorAndNothingElse()
    {
        var client = await app.CreateClientForSchoolsAsync("oakwood-primary");
        using var request = new HttpRequestMessage(HttpMethod.Get,
            "/stats/v1/attendance/summary?school_id=ravenscroft-high&from=2026-09-01&to=2026-09-30")
        {
            Headers = { { "X-Request-Id", "req-line-403" } },
        };

        var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        string? found = null;
        Assert.True(await Poll.UntilAsync(() =>
        {
            found = app.JsonLines.Lines.FirstOrDefault(l => l.Contains("\"req-line-403\"", StringComparison.Ordinal)
                && l.Contains("\"EventId\":1,", StringComparison.Ordinal));
            return Task.FromResult(found is not null);
        }), "The request's line was never written.");
        using var document = JsonDocument.Parse(found!);
        var line = document.RootElement;
        Assert.Equal(["Timestamp", "EventId", "LogLevel", "Category", "Message", "State", "Scopes"], line.EnumerateObject().Select(p => p.Name));
        Assert.Matches("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$", line.GetProperty("Timestamp").GetString());
        Assert.Equal("Information", line.GetProperty("LogLevel").GetString());
        Assert.Equal(typeof(RequestIdMiddleware).FullName, line.GetProperty("Category").GetString());
        Assert.Matches("^GET /stats/v1/attendance/summary answered 403 in [0-9]+\\.[0-9] ms$", line.GetProperty("Message").GetString());
        var state = line.GetProperty("State");
        Assert.Equal(["Method", "Path", "Status", "ElapsedMs", "client_id", "school_id", "error_code"], state.EnumerateObject().Select(p => p.Name));
        Assert.Equal("GET", state.GetProperty("Method").GetString());
        Assert.Equal("/stats/v1/attendance/summary", state.GetProperty("Path").GetString());
        Assert.Equal(403, state.GetProperty("Status").GetInt32());
        Assert.Equal(JsonValueKind.Number, state.GetProperty("ElapsedMs").ValueKind);
        Assert.False(string.IsNullOrEmpty(state.GetProperty("client_id").GetString()));
        Assert.Equal(JsonValueKind.Null, state.GetProperty("school_id").ValueKind);
        Assert.Equal("school_not_approved", state.GetProperty("error_code").GetString());
        Assert.Contains(line.GetProperty("Scopes").EnumerateArray(),
            s => s.ValueKind == JsonValueKind.Object && s.TryGetProperty("request_id", out var id) && id.GetString() == "req-line-403");
        Assert.DoesNotContain("ravenscroft-high", found, StringComparison.Ordinal);
    }

    private static string Line(Action<ILogger> log)
    {
        using var output = new MemoryStream();
        var provider = new JsonLinesLoggerProvider(new JsonLinesWriter(output), new FixedTime(At));
        var scopes = new LoggerExternalScopeProvider();
        provider.SetScopeProvider(scopes);
        var logger = provider.CreateLogger(typeof(RequestIdMiddleware).FullName!);
        using (scopes.Push(new Dictionary<string, object?> { ["request_id"] = "req-1" }))
        using (scopes.Push("outer"))
        {
            log(logger);
        }
        provider.Dispose();
        return Encoding.UTF8.GetString(output.ToArray());
    }

    // The declaration the request line was written through before it had a typed state of its own.
#pragma warning disable SYSLIB1015
    [LoggerMessage(EventId = 1, EventName = "RequestAnswered", Level = LogLevel.Information,
        Message = "{Method} {Path} answered {Status} in {ElapsedMs:F1} ms")]
    private static partial void Templated(ILogger logger, string method, string? path, int status, double elapsedMs,
        string? client_id, string? school_id, string? error_code);
#pragma warning restore SYSLIB1015

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    private sealed class FieldCapture(Action<List<KeyValuePair<string, object?>>, string> captured) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            captured([.. (IEnumerable<KeyValuePair<string, object?>>)state!], formatter(state, exception));
    }
}
