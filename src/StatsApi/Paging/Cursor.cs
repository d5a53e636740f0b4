using System.Text.Json;
using Microsoft.IdentityModel.Tokens;

namespace StatsApi.Paging;

/// <summary>
/// A list's position, opaque to clients: the key of the last row served. Lists read in key order from
/// there, so a row is served once however many rows are inserted meanwhile.
/// </summary>
internal static class Cursor
{
    public static string Encode<TKey>(TKey key) => Base64UrlEncoder.Encode(JsonSerializer.SerializeToUtf8Bytes(key));

    /// <summary>The cursor of a key written as the JSON <see cref="Encode"/> makes of it.</summary>
    public static string FromJson(string keyJson) => Base64UrlEncoder.Encode(System.Text.Encoding.UTF8.GetBytes(keyJson));

    /// <summary>The key, or false when the text is not a cursor of this list.</summary>
    public static bool TryDecode<TKey>(string text, out TKey? key) where TKey : class
    {
        key = null;
        if (text.Length > 512)
        {
            return false;
        }
        try
        {
            key = JsonSerializer.Deserialize<TKey>(Base64UrlEncoder.DecodeBytes(text), Strict);
            return key is not null;
        }
        catch (Exception ex) when (ex is JsonException or FormatException or ArgumentException)
        {
            return false;
        }
    }

    private static readonly JsonSerializerOptions Strict = new()
    {
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
        RespectRequiredConstructorParameters = true,
        RespectNullableAnnotations = true,
    };
}
