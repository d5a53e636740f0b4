using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace StatsApi.Redis;

/// <summary>
/// The instance's one connection to Redis, shared by everything kept there, or none when Redis:Configuration
/// is unset. It never blocks a request on Redis: no failed start while Redis is down, no queue while it
/// reconnects, and an answer within Redis:TimeoutMilliseconds or an exception.
/// </summary>
internal sealed class RedisConnection : IAsyncDisposable
{
    private readonly Task<ConnectionMultiplexer>? _connection;

    public RedisConnection(string? configuration, int timeoutMilliseconds)
    {
        if (string.IsNullOrWhiteSpace(configuration))
        {
            return;
        }
        var options = ConfigurationOptions.Parse(configuration);
        options.AbortOnConnectFail = false;
        options.BacklogPolicy = BacklogPolicy.FailFast;
        options.SyncTimeout = timeoutMilliseconds;
        options.AsyncTimeout = timeoutMilliseconds;
        options.ReconnectRetryPolicy = new LinearRetry(1000);
        options.ClientName ??= "statsapi";
        // Exception messages name no keys (client and person ids): they reach the log.
        options.IncludeDetailInExceptions = false;
        _connection = ConnectionMultiplexer.ConnectAsync(options);
    }

    public bool Configured => _connection is not null;

    /// <summary>The first connection is still being made (at start-up): not an outage yet.</summary>
    public bool Connecting => _connection is { IsCompleted: false };

    public async Task<IDatabase> DatabaseAsync() =>
        (await (_connection ?? throw new InvalidOperationException("Redis:Configuration is not set."))).GetDatabase();

    public async ValueTask DisposeAsync()
    {
        if (_connection is { IsCompletedSuccessfully: true })
        {
            await _connection.Result.DisposeAsync();
        }
    }
}

internal static class RedisServices
{
    /// <summary>Redis's settings and the shared connection, once however many features ask.</summary>
    public static IServiceCollection AddStatsApiRedis(this IServiceCollection services, IConfiguration configuration)
    {
        if (services.Any(d => d.ServiceType == typeof(RedisConnection)))
        {
            return services;
        }
        services.AddOptions<RedisOptions>().Bind(configuration.GetSection("Redis")).ValidateOnStart();
        services.AddSingleton<IValidateOptions<RedisOptions>, RedisOptionsValidation>();
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<RedisOptions>>().Value;
            return new RedisConnection(options.Configuration, options.TimeoutMilliseconds);
        });
        return services;
    }
}
