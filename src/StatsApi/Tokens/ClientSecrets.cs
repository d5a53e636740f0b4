using System.Security.Cryptography;
using System.Text;

namespace StatsApi.Tokens;

/// <summary>Client ids and secrets: 32 and 40 characters of [A-Za-z0-9], stored only as hashes.</summary>
internal static class ClientSecrets
{
    private const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    public static string NewClientId() => RandomNumberGenerator.GetString(Alphabet, 32);

    public static string NewSecret() => RandomNumberGenerator.GetString(Alphabet, 40);

    public static bool IsClientIdShaped(string clientId) => clientId.Length == 32 && clientId.All(char.IsAsciiLetterOrDigit);

    public static byte[] Hash(string secret) => SHA256.HashData(Encoding.UTF8.GetBytes(secret));

    public static bool Matches(string presented, byte[] storedHash) =>
        CryptographicOperations.FixedTimeEquals(Hash(presented), storedHash);
}
