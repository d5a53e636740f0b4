using System.Security.Cryptography;
using System.Text;

namespace StatsApi.PersonTokens;

/// <summary>
/// A person's API token: "sta_" and 40 random alphanumerics. The prefix lets secret scanners recognise
/// a leaked one; only its SHA-256 hash is stored.
/// </summary>
internal static class ApiTokenSecrets
{
    public const string Prefix = "sta_";
    private const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    private const int RandomLength = 40;

    public static string NewToken() => Prefix + RandomNumberGenerator.GetString(Alphabet, RandomLength);

    public static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    /// <summary>What a list shows of a token: enough to tell tokens apart, far too little to use.</summary>
    public static string Display(string token) => token[..(Prefix.Length + 6)];

    public static bool IsShaped(string value) =>
        value.Length == Prefix.Length + RandomLength && value.StartsWith(Prefix, StringComparison.Ordinal) && value[Prefix.Length..].All(char.IsAsciiLetterOrDigit);

    /// <summary>
    /// The token in "Authorization: Basic {api_token}": canonically the bare token; base64 of it (what
    /// HTTP clients make of a user name with an empty password, "token:") is accepted too.
    /// </summary>
    public static string? FromBasic(string? parameter)
    {
        if (string.IsNullOrEmpty(parameter))
        {
            return null;
        }
        if (IsShaped(parameter))
        {
            return parameter;
        }
        try
        {
            var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(parameter)).TrimEnd(':');
            return IsShaped(decoded) ? decoded : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
