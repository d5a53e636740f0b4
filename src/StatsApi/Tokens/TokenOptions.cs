namespace StatsApi.Tokens;

public sealed class TokenOptions
{
    /// <summary>Off when an external identity provider issues the tokens.</summary>
    public bool Enabled { get; set; } = true;

    public int LifetimeMinutes { get; set; } = 60;

    /// <summary>Lifetime of the tokens that act for a person: short, since a person's access changes more often than a client's.</summary>
    public int PersonLifetimeMinutes { get; set; } = 15;

    /// <summary>32 random bytes in base64 that encrypt the signing keys' private parts at rest.</summary>
    public string? KeyEncryptionKey { get; set; }

    /// <summary>
    /// How long a new key is published before it signs: longer than the JWKS may be cached (5 minutes)
    /// plus other instances' key reload (1 minute), so every validator knows a key before it meets it.
    /// </summary>
    public int KeyActivationDelaySeconds { get; set; } = 600;

    /// <summary>ES256 or RS256, for keys made from now on.</summary>
    public string Algorithm { get; set; } = "ES256";
}
