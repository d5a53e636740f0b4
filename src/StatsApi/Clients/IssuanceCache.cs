using Microsoft.Extensions.Options;
using StatsApi.Tokens;

namespace StatsApi.Clients;

/// <summary>
/// What a token is issued from, kept between requests (decision 0017): each client's row as stored (the
/// secret's hash, never a verdict on a secret) and the key that signs now. An entry lives until a change
/// to it is notified (<see cref="IssuanceListener"/>), and never longer than Tokens:IssuanceCacheSeconds
/// in case a notification is lost; nothing is kept while no listener is connected.
/// </summary>
internal sealed class IssuanceCache(IOptions<TokenOptions> options)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, CachedClient> _clients = new(StringComparer.Ordinal);
    private CachedKey? _key;
    private long _epoch;
    private bool _listening;

    private long Lifetime => options.Value.IssuanceCacheSeconds * 1000L;

    /// <summary>Changes with every notification and every connection or loss of the listener: a read begun before one is not kept.</summary>
    public long Epoch => Volatile.Read(ref _epoch);

    /// <summary>
    /// The client's row and the key that signs now, when both are held and fresh and the key was read after this
    /// instance's last rotation (<paramref name="rotations"/>, <see cref="SigningKeys.Rotations"/> now).
    /// </summary>
    public bool TryGet(string clientId, long rotations, out CachedClient client, out StoredSigningKey key)
    {
        var now = Environment.TickCount64;
        lock (_gate)
        {
            if (_key is { } k && k.Until > now && k.Rotations == rotations && _clients.TryGetValue(clientId, out var c) && c.Until > now)
            {
                (client, key) = (c, k.Key);
                return true;
            }
        }
        (client, key) = (null!, null!);
        return false;
    }

    /// <summary>
    /// Keeps what a read begun at <paramref name="epoch"/> found, unless a change was notified or the listener
    /// lost its connection since; the key only until the next key starts to sign (<paramref name="keyValidForSeconds"/>)
    /// or this instance rotates (<paramref name="rotations"/>, <see cref="SigningKeys.Rotations"/> when the read began).
    /// </summary>
    public void Store(long epoch, long rotations, CachedClient client, StoredSigningKey key, double? keyValidForSeconds)
    {
        var now = Environment.TickCount64;
        var keyUntil = now + Lifetime;
        if (keyValidForSeconds is { } seconds)
        {
            keyUntil = Math.Min(keyUntil, now + (long)(Math.Max(0, seconds) * 1000));
        }
        lock (_gate)
        {
            if (!_listening || _epoch != epoch || Lifetime <= 0)
            {
                return;
            }
            _clients[client.Client.ClientId] = client with { Until = now + Lifetime };
            _key = new CachedKey(key, keyUntil, rotations);
        }
    }

    /// <summary>The listener holds its connection and listens: from now on what is read may be kept.</summary>
    public void Listening() => Empty(listening: true);

    /// <summary>The listener lost its connection: changes may go unnoticed, so nothing is kept until it is back.</summary>
    public void Deaf() => Empty(listening: false);

    public void ForgetClient(string clientId)
    {
        lock (_gate)
        {
            _epoch++;
            _clients.Remove(clientId);
        }
    }

    public void ForgetKeys()
    {
        lock (_gate)
        {
            _epoch++;
            _key = null;
        }
    }

    public void ForgetAll() => Empty(listening: null);

    // listening: whether what is read from now on may be kept; null leaves it as it is.
    private void Empty(bool? listening)
    {
        lock (_gate)
        {
            _epoch++;
            _clients.Clear();
            _key = null;
            _listening = listening ?? _listening;
        }
    }

    private sealed record CachedKey(StoredSigningKey Key, long Until, long Rotations);
}

/// <summary>A client's row as stored: the client as a token carries it, whether it is revoked, and its secret's hash.</summary>
internal sealed record CachedClient(ApiClient Client, bool Revoked, byte[] SecretHash, long Until = 0);
