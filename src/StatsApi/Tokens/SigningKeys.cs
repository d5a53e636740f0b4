using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using Npgsql;
using StatsApi.Data;

namespace StatsApi.Tokens;

internal sealed record PublishedKey(string Kid, string Algorithm, string PublicJwk, DateTime CreatedAt);

/// <summary>A row of <see cref="SigningKeys.SigningKeyQuery"/>: the private key as stored (encrypted, or not).</summary>
internal sealed record StoredSigningKey(string Kid, string Algorithm, byte[] PrivateKey, string Protection);

/// <summary>
/// The token service's asymmetric keys, persisted in the database. Three are published: the next key
/// (made by a rotation, not yet signing), the current one, and the previous one, so tokens signed
/// before the last switch stay valid. The newest key published for Tokens:KeyActivationDelaySeconds
/// signs; while none is that old (a new deployment), the oldest one does.
/// </summary>
internal sealed class SigningKeys(NpgsqlDataSource dataSource, IOptions<TokenOptions> options, KeyProtector protector, ILogger<SigningKeys> logger)
{
    private const long KeyCreationLockKey = 0x5374_6174_734B_6579;
    private const int PublishedCount = 3;
    private static readonly TimeSpan ReloadThrottle = TimeSpan.FromSeconds(2);

    private readonly ConcurrentDictionary<string, SigningCredentials> _credentials = new(StringComparer.Ordinal);
    private volatile IReadOnlyList<JsonWebKey> _validationKeys = [];
    private volatile IReadOnlyList<PublishedKey> _published = [];
    private readonly Lock _reloadGate = new();
    private Task? _reloading;
    private long _lastReloadTicks = long.MinValue / 2;
    private long _rotations;

    /// <summary>The published public keys as last loaded: validation reads this and never the database.</summary>
    public IReadOnlyList<JsonWebKey> ValidationKeys => _validationKeys;

    /// <summary>The published keys as last loaded, newest first: what the JWKS serves, without a database trip.</summary>
    public IReadOnlyList<PublishedKey> Published => _published;

    /// <summary>How many rotations this instance made: a key read before one is not the key that signs now.</summary>
    public long Rotations => Interlocked.Read(ref _rotations);

    /// <summary>Makes the first key when there is none, and loads the published keys.</summary>
    public async Task InitializeAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync("select pg_advisory_xact_lock(@key)", new { key = KeyCreationLockKey }, transaction);
        var any = await connection.ExecuteScalarAsync<bool>(
            "select exists (select 1 from signing_keys where retired_at is null)", transaction: transaction);
        if (!any)
        {
            await InsertNewKeyAsync(connection, transaction);
        }
        if (protector.Enabled)
        {
            await EncryptPlainKeysAsync(connection, transaction);
        }
        else
        {
            logger.LogWarning("Tokens:KeyEncryptionKey is not set: signing keys are stored unencrypted in the database");
        }
        await transaction.CommitAsync(cancellationToken);
        await RefreshAsync(cancellationToken);
        // Fails start-up, rather than every token request, when the key-encryption key is missing or wrong.
        await GetSigningCredentialsAsync(cancellationToken);
    }

    /// <summary>Reloads the published keys from the database.</summary>
    public async Task<IReadOnlyList<PublishedKey>> RefreshAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var published = (await connection.QueryAsync<PublishedKey>("""
            select kid, algorithm, public_jwk::text as public_jwk, created_at
            from signing_keys where retired_at is null
            order by created_at desc limit @count
            """, new { count = PublishedCount })).ToList();
        _validationKeys = published.Select(k => new JsonWebKey(k.PublicJwk)).ToList();
        _published = published;
        return published;
    }

    /// <summary>
    /// Loads the published keys again when a token names a kid this instance has not loaded (another
    /// instance or the admin command may have rotated), and says whether it is known then: the request
    /// waits for the reload, so a token signed with a new key is accepted on every instance from its
    /// first use. One reload at a time, shared by the requests that wait for it, and at most one every
    /// few seconds, so unknown kids cannot hammer the database.
    /// </summary>
    public async Task<bool> LoadIfUnknownAsync(string kid)
    {
        if (IsLoaded(kid))
        {
            return true;
        }
        Task reload;
        lock (_reloadGate)
        {
            if (_reloading is null || _reloading.IsCompleted)
            {
                if (Environment.TickCount64 - _lastReloadTicks < ReloadThrottle.TotalMilliseconds)
                {
                    return false;
                }
                _lastReloadTicks = Environment.TickCount64;
                _reloading = ReloadQuietlyAsync();
            }
            reload = _reloading;
        }
        await reload;
        return IsLoaded(kid);
    }

    private bool IsLoaded(string kid) => _validationKeys.Any(k => k.Kid == kid);

    private async Task ReloadQuietlyAsync()
    {
        try
        {
            await RefreshAsync();
        }
        catch (Exception ex) when (DatabaseUnavailable.IsFromTheDatabase(ex))
        {
            logger.LogWarning(ex, "Could not reload signing keys");
        }
    }

    /// <summary>
    /// The statement that finds the key that signs now: the newest one published long enough (@delay
    /// seconds). Read at every issue, so a rotation on any instance takes effect on all of them at once;
    /// the token endpoint runs it in the round trip that reads the client (<see cref="ActivationDelay"/>).
    /// </summary>
    public const string SigningKeyQuery = """
        select kid, algorithm, private_key, protection from signing_keys
        where retired_at is null
        order by case when created_at <= now() - make_interval(secs => @delay) then created_at end desc nulls last,
                 created_at
        limit 1
        """;

    /// <summary>
    /// Seconds until a key published but not yet signing starts to (null when there is none): until then the
    /// key <see cref="SigningKeyQuery"/> found stays the one that signs, unless a rotation or retirement intervenes.
    /// </summary>
    public const string NextActivationQuery = """
        select extract(epoch from min(created_at) + make_interval(secs => @delay) - now())::float8 from signing_keys
        where retired_at is null and created_at > now() - make_interval(secs => @delay)
        """;

    /// <summary>The @delay of <see cref="SigningKeyQuery"/>.</summary>
    public double ActivationDelay => options.Value.KeyActivationDelaySeconds;

    /// <summary>The credentials of the key that signs now: the newest one published long enough.</summary>
    public async Task<SigningCredentials> GetSigningCredentialsAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var key = await connection.QuerySingleOrDefaultAsync<StoredSigningKey>(SigningKeyQuery, new { delay = ActivationDelay });
        return await CredentialsOfAsync(key, cancellationToken);
    }

    /// <summary>The credentials of the key <see cref="SigningKeyQuery"/> found.</summary>
    public async Task<SigningCredentials> CredentialsOfAsync(StoredSigningKey? key, CancellationToken cancellationToken = default)
    {
        if (key?.Kid is null)
        {
            throw new InvalidOperationException("No signing key exists; the service creates one at start-up or with 'keys rotate'.");
        }
        if (!IsLoaded(key.Kid))
        {
            await RefreshAsync(cancellationToken);
        }
        return _credentials.GetOrAdd(key.Kid, _ => ToCredentials(key.Kid, key.Algorithm, protector.Unprotect(key.Kid, key.PrivateKey, key.Protection)));
    }

    /// <summary>Makes the next signing key; of the older ones, all but the two newest are retired.</summary>
    public async Task<PublishedKey> RotateAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync("select pg_advisory_xact_lock(@key)", new { key = KeyCreationLockKey }, transaction);
        if (!protector.Enabled && await connection.ExecuteScalarAsync<bool>(
            "select exists (select 1 from signing_keys where protection <> 'none')", transaction: transaction))
        {
            throw new ConfigurationException("The signing keys are encrypted; set Tokens:KeyEncryptionKey so the new key is too.");
        }
        var created = await InsertNewKeyAsync(connection, transaction);
        await connection.ExecuteAsync("""
            update signing_keys set retired_at = now()
            where retired_at is null
              and kid not in (select kid from signing_keys where retired_at is null order by created_at desc limit @count)
            """, new { count = PublishedCount }, transaction);
        await transaction.CommitAsync(cancellationToken);
        Interlocked.Increment(ref _rotations);
        await RefreshAsync(cancellationToken);
        logger.LogInformation("Rotated signing key; new key {Kid}", created.Kid);
        return created;
    }

    /// <summary>Keys made before a key-encryption key was configured are encrypted under it, so none stays readable at rest.</summary>
    private async Task EncryptPlainKeysAsync(NpgsqlConnection connection, NpgsqlTransaction transaction)
    {
        var plain = (await connection.QueryAsync<(string Kid, byte[] PrivateKey)>(
            "select kid, private_key from signing_keys where retired_at is null and protection = @none",
            new { none = KeyProtector.None }, transaction)).ToList();
        foreach (var (kid, privateKey) in plain)
        {
            var (stored, protection) = protector.Protect(kid, privateKey);
            await connection.ExecuteAsync("update signing_keys set private_key = @stored, protection = @protection where kid = @kid",
                new { kid, stored, protection }, transaction);
        }
        if (plain.Count > 0)
        {
            logger.LogInformation("Encrypted {Count} signing key(s) stored unencrypted under Tokens:KeyEncryptionKey", plain.Count);
        }
    }

    private async Task<PublishedKey> InsertNewKeyAsync(NpgsqlConnection connection, NpgsqlTransaction transaction)
    {
        var algorithm = options.Value.Algorithm;
        var (privateKey, publicJwk) = algorithm switch
        {
            SecurityAlgorithms.EcdsaSha256 => NewEcKey(),
            SecurityAlgorithms.RsaSha256 => NewRsaKey(),
            _ => throw new ConfigurationException($"Tokens:Algorithm must be ES256 or RS256, not '{algorithm}'."),
        };
        var kid = Thumbprint(publicJwk);
        publicJwk["kid"] = kid;
        publicJwk["alg"] = algorithm;
        publicJwk["use"] = "sig";
        var json = JsonSerializer.Serialize(publicJwk);
        var (stored, protection) = protector.Protect(kid, privateKey);
        return await connection.QuerySingleAsync<PublishedKey>("""
            insert into signing_keys (kid, algorithm, private_key, protection, public_jwk)
            values (@kid, @algorithm, @stored, @protection, @json::jsonb)
            returning kid, algorithm, public_jwk::text as public_jwk, created_at
            """, new { kid, algorithm, stored, protection, json }, transaction);
    }

    private static (byte[] PrivateKey, Dictionary<string, string> Jwk) NewEcKey()
    {
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var p = ec.ExportParameters(includePrivateParameters: false);
        return (ec.ExportPkcs8PrivateKey(), new Dictionary<string, string>
        {
            ["kty"] = "EC",
            ["crv"] = "P-256",
            ["x"] = Base64UrlEncoder.Encode(p.Q.X),
            ["y"] = Base64UrlEncoder.Encode(p.Q.Y),
        });
    }

    private static (byte[] PrivateKey, Dictionary<string, string> Jwk) NewRsaKey()
    {
        using var rsa = RSA.Create(3072);
        var p = rsa.ExportParameters(includePrivateParameters: false);
        return (rsa.ExportPkcs8PrivateKey(), new Dictionary<string, string>
        {
            ["kty"] = "RSA",
            ["n"] = Base64UrlEncoder.Encode(p.Modulus),
            ["e"] = Base64UrlEncoder.Encode(p.Exponent),
        });
    }

    // RFC 7638: the hash of the required members, in lexicographic order, without white space.
    private static string Thumbprint(Dictionary<string, string> jwk)
    {
        var members = jwk["kty"] == "EC" ? new[] { "crv", "kty", "x", "y" } : ["e", "kty", "n"];
        var canonical = "{" + string.Join(",", members.Select(m => $"\"{m}\":\"{jwk[m]}\"")) + "}";
        return Base64UrlEncoder.Encode(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)));
    }

    private static SigningCredentials ToCredentials(string kid, string algorithm, byte[] privateKey)
    {
        AsymmetricSecurityKey key;
        if (algorithm == SecurityAlgorithms.EcdsaSha256)
        {
            var ec = ECDsa.Create();
            ec.ImportPkcs8PrivateKey(privateKey, out _);
            key = new ECDsaSecurityKey(ec) { KeyId = kid };
        }
        else
        {
            var rsa = RSA.Create();
            rsa.ImportPkcs8PrivateKey(privateKey, out _);
            key = new RsaSecurityKey(rsa) { KeyId = kid };
        }
        return new SigningCredentials(key, algorithm);
    }
}
