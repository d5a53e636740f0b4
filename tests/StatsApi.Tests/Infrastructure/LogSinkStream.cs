using System.Text;

namespace StatsApi.Tests.Infrastructure;

/// <summary>
/// The output stream the service's JSON-lines log writes to, kept in memory: the writer's thread writes
/// while the test reads, so both go through one lock.
/// </summary>
public sealed class LogSinkStream : Stream
{
    private readonly Lock _gate = new();
    private readonly MemoryStream _written = new();

    /// <summary>Every whole line written so far, as the console would show it.</summary>
    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_gate)
            {
                var text = Encoding.UTF8.GetString(_written.GetBuffer(), 0, (int)_written.Length);
                return text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            }
        }
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        lock (_gate)
        {
            _written.Write(buffer);
        }
    }

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _written.Dispose();
        }
        base.Dispose(disposing);
    }
}
