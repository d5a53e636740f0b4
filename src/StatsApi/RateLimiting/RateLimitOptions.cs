using Microsoft.Extensions.Options;
using StatsApi.Tokens;

namespace StatsApi.RateLimiting;

/// <summary>A tier's two quotas per window: requests, and the summed costs of the operations called.</summary>
internal sealed class TierLimit
{
    public int Requests { get; set; }

    public int Cost { get; set; }
}

/// <summary>Failed token requests (invalid_client, invalid_grant) allowed per window before attempts are refused.</summary>
internal sealed class TokenEndpointLimit
{
    /// <summary>Failures from one address (an IPv6 /64) before that address is refused.</summary>
    public int FailuresPerAddress { get; set; } = 20;

    /// <summary>Wrong secrets for one client id, from anywhere, after which each further failing address is refused at once.</summary>
    public int FailuresPerClient { get; set; } = 10;
}

internal sealed class RateLimitOptions
{
    /// <summary>The window every quota is counted over; a quota spent is whole again after this long unused.</summary>
    public int WindowSeconds { get; set; } = 60;

    /// <summary>The tier of a token whose tier claim names none of the tiers (an external provider's token).</summary>
    public string DefaultTier { get; set; } = "free";

    public Dictionary<string, TierLimit> Tiers { get; set; } = new(StringComparer.OrdinalIgnoreCase)
    {
        ["free"] = new() { Requests = 60, Cost = 120 },
        ["standard"] = new() { Requests = 600, Cost = 1_500 },
        ["premium"] = new() { Requests = 6_000, Cost = 15_000 },
    };

    public TokenEndpointLimit TokenEndpoint { get; set; } = new();

    public TimeSpan Window => TimeSpan.FromSeconds(WindowSeconds);

    /// <summary>The limits of a token's tier claim; a tier not configured counts as the default tier.</summary>
    public (string Tier, TierLimit Limit) LimitOf(string? tier) =>
        tier is not null && Tiers.TryGetValue(tier, out var limit) ? (tier, limit) : (DefaultTier, Tiers[DefaultTier]);
}

internal sealed class RateLimitOptionsValidation : IValidateOptions<RateLimitOptions>
{
    public ValidateOptionsResult Validate(string? name, RateLimitOptions options)
    {
        var failures = new List<string>();
        if (options.WindowSeconds is < 1 or > 3600)
        {
            failures.Add($"RateLimits:WindowSeconds must be between 1 and 3600, not {options.WindowSeconds}.");
        }
        if (!Tiers.All.Contains(options.DefaultTier, StringComparer.OrdinalIgnoreCase))
        {
            failures.Add($"RateLimits:DefaultTier must be one of {string.Join(", ", Tiers.All)}.");
        }
        failures.AddRange(Tiers.All.Where(t => !options.Tiers.ContainsKey(t)).Select(t => $"RateLimits:Tiers:{t} is missing."));
        foreach (var (tier, limit) in options.Tiers)
        {
            if (limit.Requests < 1)
            {
                failures.Add($"RateLimits:Tiers:{tier}:Requests must be at least 1, not {limit.Requests}.");
            }
            // Below the dearest operation's cost, that operation could never be called.
            if (limit.Cost < OperationCosts.Highest)
            {
                failures.Add($"RateLimits:Tiers:{tier}:Cost must be at least {OperationCosts.Highest} (the dearest operation's cost), not {limit.Cost}.");
            }
        }
        if (options.TokenEndpoint.FailuresPerAddress < 1)
        {
            failures.Add($"RateLimits:TokenEndpoint:FailuresPerAddress must be at least 1, not {options.TokenEndpoint.FailuresPerAddress}.");
        }
        if (options.TokenEndpoint.FailuresPerClient < 1)
        {
            failures.Add($"RateLimits:TokenEndpoint:FailuresPerClient must be at least 1, not {options.TokenEndpoint.FailuresPerClient}.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
