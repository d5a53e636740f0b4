using System.Net.Sockets;

namespace StatsApi.Tests.Infrastructure;

/// <summary>
/// A client that, like curl, still reads the server's answer when the server answered and closed before the
/// upload was finished. Kestrel refuses an oversized body at once and closes the connection; whether the
/// client is still writing at that moment depends on scheduling, so a plain HttpClient sometimes fails its
/// write with a broken pipe instead of seeing the 413 that is already waiting in its socket.
/// </summary>
internal static class EarlyAnswerClient
{
    public static HttpClient Create(Uri baseAddress)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                    return new WritesMayFailStream(new NetworkStream(socket, ownsSocket: true));
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        var client = new HttpClient(handler) { BaseAddress = baseAddress };
        client.DefaultRequestHeaders.Add("X-Forwarded-Proto", "https");
        return client;
    }

    /// <summary>Once a write fails the rest of the upload is dropped; reads go on, so the answer is still read.</summary>
    private sealed class WritesMayFailStream(Stream inner) : Stream
    {
        private bool _writeFailed;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            inner.ReadAsync(buffer, cancellationToken);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            inner.ReadAsync(buffer, offset, count, cancellationToken);

        public override void Write(byte[] buffer, int offset, int count) =>
            WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
            UnlessFailedAsync(() => inner.WriteAsync(buffer, cancellationToken));

        public override void Flush() => FlushAsync(CancellationToken.None).GetAwaiter().GetResult();

        public override Task FlushAsync(CancellationToken cancellationToken) =>
            UnlessFailedAsync(() => new ValueTask(inner.FlushAsync(cancellationToken))).AsTask();

        private async ValueTask UnlessFailedAsync(Func<ValueTask> write)
        {
            if (_writeFailed)
            {
                return;
            }
            try
            {
                await write();
            }
            catch (IOException)
            {
                _writeFailed = true;
            }
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
