namespace StatsApi.Tokens;

internal sealed class TokenOptions
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
    /// plus the instances' key reload (KeyRefreshSeconds), so every validator knows a key before it meets it.
    /// </summary>
    public int KeyActivationDelaySeconds { get; set; } = 600;

    /// <summary>
    /// How often each instance reloads the published keys: the bound on how long a key retired elsewhere
    /// still validates here. A kid not loaded yet is looked up when a token names it.
    /// </summary>
    public int KeyRefreshSeconds { get; set; } = 60;

    /// <summary>
    /// The longest an instance issues tokens from a client's row or a signing key it read before (decision 0017):
    /// the bound on a change whose notification was lost. 0 reads both at every token.
    /// </summary>
    public int IssuanceCacheSeconds { get; set; } = 10;

    /// <summary>ES256 or RS256, for keys made from now on.</summary>
    public string Algorithm { get; set; } = "ES256";
}
