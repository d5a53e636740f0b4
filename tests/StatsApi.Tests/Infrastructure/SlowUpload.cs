using System.Net.Http.Headers;

namespace StatsApi.Tests.Infrastructure;

/// <summary>
/// A body sent in pieces with a pause between them, as over a slow uplink, so the server has answered and
/// closed long before the upload ends: the case a client must survive whatever the machine's load.
/// </summary>
internal static class SlowUpload
{
    public static HttpContent Of(string body, string mediaType)
    {
        var content = new StreamContent(new PausingStream(System.Text.Encoding.UTF8.GetBytes(body)), PieceSize);
        content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        return content;
    }

    private const int PieceSize = 64 * 1024;

    private sealed class PausingStream(byte[] body) : MemoryStream(body, writable: false)
    {
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (Position > 0)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(20), cancellationToken);
            }
            return await base.ReadAsync(buffer[..Math.Min(buffer.Length, PieceSize)], cancellationToken);
        }
    }
}
