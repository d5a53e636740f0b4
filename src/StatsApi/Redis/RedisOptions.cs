using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace StatsApi.Redis;

internal sealed class RedisOptions
{
    /// <summary>
    /// A StackExchange.Redis configuration string (host:port,password=…); without it, quotas and the record
    /// of recent writes are kept in each instance's memory.
    /// </summary>
    public string? Configuration { get; set; }

    /// <summary>How long a call waits for Redis before the instance falls back to what it knows alone.</summary>
    public int TimeoutMilliseconds { get; set; } = 100;

    /// <summary>After Redis failed, how long the instance falls back before Redis is tried again.</summary>
    public int RetrySeconds { get; set; } = 5;
}

internal sealed class RedisOptionsValidation : IValidateOptions<RedisOptions>
{
    public ValidateOptionsResult Validate(string? name, RedisOptions options)
    {
        var failures = new List<string>();
        if (!string.IsNullOrWhiteSpace(options.Configuration))
        {
            try
            {
                ConfigurationOptions.Parse(options.Configuration);
            }
            catch (ArgumentException)
            {
                // Not the value itself: it may hold the password.
                failures.Add("Redis:Configuration is not a StackExchange.Redis configuration string such as redis.internal:6379,password=….");
            }
        }
        if (options.TimeoutMilliseconds is < 10 or > 5000)
        {
            failures.Add($"Redis:TimeoutMilliseconds must be between 10 and 5000, not {options.TimeoutMilliseconds}.");
        }
        if (options.RetrySeconds is < 1 or > 300)
        {
            failures.Add($"Redis:RetrySeconds must be between 1 and 300, not {options.RetrySeconds}.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
