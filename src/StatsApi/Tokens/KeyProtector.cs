using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace StatsApi.Tokens;

/// <summary>
/// Encrypts signing keys' private parts with AES-256-GCM under Tokens:KeyEncryptionKey, so a copy of
/// the database alone cannot mint tokens. The kid is bound in as associated data.
/// </summary>
internal sealed class KeyProtector(IOptions<TokenOptions> options)
{
    public const string None = "none";
    public const string AesGcm = "aes-256-gcm";
    private const int NonceSize = 12;
    private const int TagSize = 16;

    private readonly byte[]? _key = Parse(options.Value.KeyEncryptionKey);

    public bool Enabled => _key is not null;

    public (byte[] Stored, string Protection) Protect(string kid, byte[] privateKey)
    {
        if (_key is null)
        {
            return (privateKey, None);
        }
        var stored = new byte[NonceSize + TagSize + privateKey.Length];
        var nonce = stored.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new System.Security.Cryptography.AesGcm(_key, TagSize);
        aes.Encrypt(nonce, privateKey, stored.AsSpan(NonceSize + TagSize), stored.AsSpan(NonceSize, TagSize), Encoding.UTF8.GetBytes(kid));
        return (stored, AesGcm);
    }

    public byte[] Unprotect(string kid, byte[] stored, string protection)
    {
        if (protection == None)
        {
            return stored;
        }
        if (_key is null)
        {
            throw new ConfigurationException($"Signing key {kid} is encrypted; set Tokens:KeyEncryptionKey to the key it was made with.");
        }
        var privateKey = new byte[stored.Length - NonceSize - TagSize];
        using var aes = new System.Security.Cryptography.AesGcm(_key, TagSize);
        try
        {
            aes.Decrypt(stored.AsSpan(0, NonceSize), stored.AsSpan(NonceSize + TagSize), stored.AsSpan(NonceSize, TagSize), privateKey, Encoding.UTF8.GetBytes(kid));
        }
        catch (AuthenticationTagMismatchException ex)
        {
            throw new ConfigurationException($"Signing key {kid} does not decrypt with the configured Tokens:KeyEncryptionKey.", ex);
        }
        return privateKey;
    }

    private static byte[]? Parse(string? configured)
    {
        if (string.IsNullOrWhiteSpace(configured))
        {
            return null;
        }
        byte[] key;
        try
        {
            key = Convert.FromBase64String(configured);
        }
        catch (FormatException ex)
        {
            throw new ConfigurationException("Tokens:KeyEncryptionKey must be 32 random bytes in base64 (openssl rand -base64 32).", ex);
        }
        return key.Length == 32 ? key
            : throw new ConfigurationException("Tokens:KeyEncryptionKey must be 32 random bytes in base64 (openssl rand -base64 32).");
    }
}
