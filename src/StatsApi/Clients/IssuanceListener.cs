using Npgsql;
using StatsApi.Data;

namespace StatsApi.Clients;

/// <summary>
/// Listens on the primary for the changes migration 0018's triggers announce (a client's row or generation,
/// the signing keys) and empties what <see cref="IssuanceCache"/> holds of them. While its connection is
/// down the cache keeps nothing; a connection that went silent is found by a ping between notifications.
/// Its connection is its own, outside the pool, so it never takes a request's place there.
/// </summary>
internal sealed class IssuanceListener(IConfiguration configuration, IssuanceCache cache, ILogger<IssuanceListener> logger) : BackgroundService
{
    public const string Channel = "statsapi_issuance";

    /// <summary>The listener's application_name, by which an operator (or a test) finds its session.</summary>
    public const string ApplicationName = "statsapi issuance listener";

    private static readonly TimeSpan PingEvery = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await ListenAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            // Whatever broke the connection, a notification may have gone with it: empty, and listen again.
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(ex, "The issuance listener lost its connection; tokens read the database until it is back");
            }
            finally
            {
                cache.Deaf();
            }
            try
            {
                await Task.Delay(RetryAfter, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    private async Task ListenAsync(CancellationToken stoppingToken)
    {
        var connectionString = configuration.GetConnectionString("Default")!;
        var settings = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, ApplicationName = ApplicationName };
        if (DataServices.NamesSeveralHosts(connectionString))
        {
            // Notifications are sent on the primary only.
            settings.TargetSessionAttributes = "primary";
        }
        await using var dataSource = NpgsqlDataSource.Create(settings);
        await using var connection = await dataSource.OpenConnectionAsync(stoppingToken);
        connection.Notification += (_, e) => Heard(e.Payload);
        await using (var listen = new NpgsqlCommand($"listen {Channel}", connection))
        {
            await listen.ExecuteNonQueryAsync(stoppingToken);
        }
        // Listening before emptying: a change committed from here on is heard, one before it is read afresh.
        cache.Listening();
        while (true)
        {
            if (!await connection.WaitAsync(PingEvery, stoppingToken))
            {
                await using var ping = new NpgsqlCommand("select 1", connection);
                await ping.ExecuteScalarAsync(stoppingToken);
            }
        }
    }

    private void Heard(string payload)
    {
        if (payload == "keys")
        {
            cache.ForgetKeys();
        }
        else if (payload.StartsWith("client:", StringComparison.Ordinal))
        {
            cache.ForgetClient(payload["client:".Length..]);
        }
        else
        {
            cache.ForgetAll();
        }
    }
}
