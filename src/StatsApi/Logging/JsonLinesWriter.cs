using System.Buffers;
using System.Text;

namespace StatsApi.Logging;

/// <summary>
/// Writes whole lines to a stream from one background thread, many lines to a write. A request only
/// copies its line into memory under a short lock; the console's one system call per line, which cost a
/// trivial request about 40 % of its throughput, is paid once per batch instead.
/// </summary>
internal sealed class JsonLinesWriter : IDisposable
{
    // What waits beyond this while the output is stuck (a full pipe, a stalled collector) is counted and
    // dropped: a log that cannot keep up must not hold requests back or grow without bound.
    private const int MaxPendingBytes = 8 * 1024 * 1024;

    private readonly Stream _output;
    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _signal = new(0);
    private readonly Thread _thread;
    private ArrayBufferWriter<byte> _pending = new(64 * 1024);
    private ArrayBufferWriter<byte> _writing = new(64 * 1024);
    private long _dropped;
    private volatile bool _stopping;

    public JsonLinesWriter(Stream output)
    {
        _output = output;
        _thread = new Thread(Run) { IsBackground = true, Name = "log writer" };
        _thread.Start();
    }

    /// <summary>Queues one line (without its newline), or counts it as dropped when too much waits.</summary>
    public void WriteLine(ReadOnlySpan<byte> line)
    {
        bool wake;
        lock (_gate)
        {
            if (_pending.WrittenCount + line.Length + 1 > MaxPendingBytes)
            {
                _dropped++;
                return;
            }
            wake = _pending.WrittenCount == 0;
            _pending.Write(line);
            _pending.Write("\n"u8);
        }
        if (wake)
        {
            _signal.Release();
        }
    }

    private void Run()
    {
        while (true)
        {
            _signal.Wait();
            long dropped;
            lock (_gate)
            {
                (_pending, _writing) = (_writing, _pending);
                dropped = _dropped;
                _dropped = 0;
            }
            try
            {
                _output.Write(_writing.WrittenSpan);
                if (dropped > 0)
                {
                    _output.Write(Encoding.UTF8.GetBytes(
                        $$"""{"LogLevel":"Warning","Category":"StatsApi.Http.JsonLinesWriter","Message":"{{dropped}} log lines were dropped: the log output did not keep up"}""" + "\n"));
                }
                _output.Flush();
            }
            catch (IOException)
            {
                // Nobody reads the output any more (a closed pipe): the service goes on without its log.
            }
            catch (ObjectDisposedException)
            {
            }
            _writing.ResetWrittenCount();
            if (_stopping)
            {
                lock (_gate)
                {
                    if (_pending.WrittenCount == 0)
                    {
                        return;
                    }
                }
            }
        }
    }

    /// <summary>Writes what is queued, then stops: the last lines before an exit are the ones most needed.</summary>
    public void Dispose()
    {
        _stopping = true;
        _signal.Release();
        _thread.Join(TimeSpan.FromSeconds(5));
    }
}
