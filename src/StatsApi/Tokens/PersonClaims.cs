namespace StatsApi.Tokens;

/// <summary>The claims a person's token adds to a client's.</summary>
internal static class PersonClaims
{
    public const string Role = "role";

    public const string ClientSecretHeader = "client_secret";

    /// <summary>The API token the access token was exchanged for, so deleting it stops the access token too.</summary>
    public const string ApiToken = "api_token_id";

    /// <summary>
    /// Binds the token to the client secret it was exchanged with: every request must present that secret
    /// again. A truncated hash of the stored hash: it says nothing usable about a 238-bit secret.
    /// </summary>
    public const string ClientSecretBinding = "client_secret_binding";

    public static string BindingOf(string clientSecret) => BindingOfStoredHash(ClientSecrets.Hash(clientSecret));

    public static string BindingOfStoredHash(byte[] storedHash) =>
        Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(System.Security.Cryptography.SHA256.HashData(storedHash).AsSpan(0, 16).ToArray());

    public static bool SecretMatches(string? presented, string? binding) =>
        presented is { Length: > 0 and <= 100 } && binding is not null &&
        System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(
            System.Text.Encoding.ASCII.GetBytes(BindingOf(presented)), System.Text.Encoding.ASCII.GetBytes(binding));
}
