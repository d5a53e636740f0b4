using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace StatsApi.RateLimiting;

public sealed class RedisOptions
{
    /// <summary>A StackExchange.Redis configuration string (host:port,password=…); without it, quotas are kept in each instance's memory.</summary>
    public string? Configuration { get; set; }

    /// <summary>How long a quota check waits for Redis before the request is counted in memory instead.</summary>
    public int TimeoutMilliseconds { get; set; } = 100;

    /// <summary>After Redis failed, how long requests are counted in memory before Redis is tried again.</summary>
    public int RetrySeconds { get; set; } = 5;
}

public sealed class RedisOptionsValidation : IValidateOptions<RedisOptions>
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

/// <summary>
/// Where quotas are kept: in Redis when it is configured and answers, so that every instance enforces
/// one quota; otherwise in this instance's memory. A Redis failure never fails a request: the request
/// is counted in memory, one warning is logged for the whole outage, and Redis is not asked again until
/// Redis:RetrySeconds have passed; once it answers, the shared quotas resume.
/// </summary>
public sealed class QuotaStore : IAsyncDisposable
{
    private readonly MemoryQuotaStore _memory;
    private readonly RedisQuotaStore? _redis;
    private readonly long _retryMilliseconds;
    private readonly ILogger<QuotaStore> _logger;
    private long _retryAt;
    private int _down;

    public QuotaStore(MemoryQuotaStore memory, IOptions<RedisOptions> options, ILogger<QuotaStore> logger)
    {
        _memory = memory;
        _logger = logger;
        _retryMilliseconds = options.Value.RetrySeconds * 1000L;
        if (!string.IsNullOrWhiteSpace(options.Value.Configuration))
        {
            _redis = new RedisQuotaStore(options.Value.Configuration, options.Value.TimeoutMilliseconds);
        }
    }

    public async ValueTask<QuotaState[]> ApplyAsync(QuotaOperation operation, TimeSpan window, IReadOnlyList<QuotaDraw> draws)
    {
        if (_redis is { Connecting: false } && MayAskRedis())
        {
            try
            {
                var states = await _redis.ApplyAsync(operation, window, draws);
                if (Interlocked.Exchange(ref _down, 0) == 1)
                {
                    _logger.LogInformation("Redis answers again: rate limits are shared by all instances once more");
                }
                Volatile.Write(ref _retryAt, 0);
                return states;
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                Volatile.Write(ref _retryAt, Environment.TickCount64 + _retryMilliseconds);
                if (Interlocked.Exchange(ref _down, 1) == 0)
                {
                    _logger.LogWarning("Redis is unreachable ({Failure}: {Message}); rate limits are counted in this instance's memory until it answers, tried every {RetrySeconds} s",
                        ex.GetType().Name, ex.Message, _retryMilliseconds / 1000);
                }
            }
        }
        return _memory.Apply(operation, window, draws);
    }

    // While Redis is down, one request in each retry interval asks it; the others go straight to memory.
    private bool MayAskRedis()
    {
        var retryAt = Volatile.Read(ref _retryAt);
        if (retryAt == 0)
        {
            return true;
        }
        var now = Environment.TickCount64;
        return now >= retryAt && Interlocked.CompareExchange(ref _retryAt, now + _retryMilliseconds, retryAt) == retryAt;
    }

    public ValueTask DisposeAsync() => _redis?.DisposeAsync() ?? ValueTask.CompletedTask;
}
