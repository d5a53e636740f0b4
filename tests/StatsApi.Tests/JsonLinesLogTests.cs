using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using StatsApi.Logging;

namespace StatsApi.Tests;

public class JsonLinesLogTests
{
    private static (ILogger Logger, JsonLinesLoggerProvider Provider) Logger(Stream output)
    {
        var provider = new JsonLinesLoggerProvider(new JsonLinesWriter(output), TimeProvider.System);
        return (provider.CreateLogger("StatsApi.Tests"), provider);
    }

    private static List<JsonElement> Lines(MemoryStream output) =>
        Encoding.UTF8.GetString(output.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => JsonDocument.Parse(line).RootElement).ToList();

    [Fact]
    public void EachEntryIsOneJsonLineWithItsFieldsAndScopes()
    {
        using var output = new MemoryStream();
        var (logger, provider) = Logger(output);
        using (logger.BeginScope(new Dictionary<string, object?> { ["request_id"] = "r-1" }))
        {
            logger.LogInformation(7, "{Method} {Path} answered {Status}", "GET", "/v1/schools", 200);
        }
        logger.LogError(new InvalidOperationException("broken"), "failed");
        provider.Dispose();

        var lines = Lines(output);
        Assert.Equal(2, lines.Count);
        Assert.Equal("Information", lines[0].GetProperty("LogLevel").GetString());
        Assert.Equal(7, lines[0].GetProperty("EventId").GetInt32());
        Assert.Equal("StatsApi.Tests", lines[0].GetProperty("Category").GetString());
        Assert.Equal("GET /v1/schools answered 200", lines[0].GetProperty("Message").GetString());
        Assert.Equal(200, lines[0].GetProperty("State").GetProperty("Status").GetInt32());
        Assert.False(lines[0].GetProperty("State").TryGetProperty("{OriginalFormat}", out _));
        Assert.Equal("r-1", lines[0].GetProperty("Scopes")[0].GetProperty("request_id").GetString());
        Assert.True(DateTimeOffset.TryParse(lines[0].GetProperty("Timestamp").GetString(), out _));
        Assert.Contains("broken", lines[1].GetProperty("Exception").GetString());
    }

    [Fact]
    public void AValueWithANewlineCannotStartALineOfItsOwn()
    {
        using var output = new MemoryStream();
        var (logger, provider) = Logger(output);
        logger.LogInformation("{Path}", "/x\n{\"LogLevel\":\"Critical\",\"Message\":\"forged\"}");
        provider.Dispose();

        var line = Assert.Single(Lines(output));
        Assert.Equal("Information", line.GetProperty("LogLevel").GetString());
    }

    [Fact]
    public void LinesWrittenFromManyThreadsAtOnceStayWholeAndNoneIsLost()
    {
        using var output = new MemoryStream();
        var (logger, provider) = Logger(output);
        Parallel.For(0, 8, thread =>
        {
            for (var i = 0; i < 2_000; i++)
            {
                logger.LogInformation("{Thread} {Index}", thread, i);
            }
        });
        provider.Dispose();

        var lines = Lines(output);
        Assert.Equal(16_000, lines.Count);
        Assert.Equal(16_000, lines.Select(l => (l.GetProperty("State").GetProperty("Thread").GetInt32(), l.GetProperty("State").GetProperty("Index").GetInt32())).Distinct().Count());
    }

    [Fact]
    public async Task AStuckOutputNeverHoldsTheCallerAndTheLineSaysHowManyWereDropped()
    {
        using var stuck = new StuckStream();
        var (logger, provider) = Logger(stuck);
        var padding = new string('x', 1_000);
        var logging = Task.Run(() =>
        {
            for (var i = 0; i < 20_000; i++)
            {
                logger.LogInformation("{Padding}", padding);
            }
        });
        await logging.WaitAsync(TimeSpan.FromSeconds(30));

        stuck.Release();
        provider.Dispose();
        var written = Encoding.UTF8.GetString(stuck.Written.ToArray());
        Assert.Matches("\"[0-9]+ log lines were dropped: the log output did not keep up\"", written);
    }

    private sealed class StuckStream : Stream
    {
        private readonly ManualResetEventSlim _released = new();

        public MemoryStream Written { get; } = new();

        public void Release() => _released.Set();

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            _released.Wait();
            lock (Written)
            {
                Written.Write(buffer);
            }
        }

        public override void Flush()
        {
        }

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            _released.Dispose();
            base.Dispose(disposing);
        }
    }
}
