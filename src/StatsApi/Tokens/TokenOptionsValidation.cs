using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace StatsApi.Tokens;

internal sealed class TokenOptionsValidation : IValidateOptions<TokenOptions>
{
    public ValidateOptionsResult Validate(string? name, TokenOptions options)
    {
        var failures = new List<string>();
        if (options.LifetimeMinutes is < 1 or > 1440)
        {
            failures.Add($"Tokens:LifetimeMinutes must be between 1 and 1440 (a day), not {options.LifetimeMinutes}.");
        }
        if (options.Algorithm is not (SecurityAlgorithms.EcdsaSha256 or SecurityAlgorithms.RsaSha256))
        {
            failures.Add($"Tokens:Algorithm must be ES256 or RS256, not '{options.Algorithm}'.");
        }
        if (options.KeyActivationDelaySeconds is < 0 or > 86400)
        {
            failures.Add($"Tokens:KeyActivationDelaySeconds must be between 0 and 86400 (a day), not {options.KeyActivationDelaySeconds}.");
        }
        if (options.IssuanceCacheSeconds is < 0 or > 3600)
        {
            failures.Add($"Tokens:IssuanceCacheSeconds must be between 0 and 3600 (an hour), not {options.IssuanceCacheSeconds}.");
        }
        if (options.KeyRefreshSeconds is < 1 or > 3600)
        {
            failures.Add($"Tokens:KeyRefreshSeconds must be between 1 and 3600 (an hour), not {options.KeyRefreshSeconds}.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
