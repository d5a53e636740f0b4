using Npgsql;

namespace StatsApi.Clients;

/// <summary>
/// Listens on the primary for the changes migration 0018's triggers announce (a client's row or generation,
/// the signing keys) and empties what <see cref="IssuanceCache"/> holds of them. While its connection is
/// down the cache keeps nothing; a connection that went silent is found by a ping between notifications.
/// </summary>
internal sealed class IssuanceListener(NpgsqlDataSource dataSource, IssuanceCache cache, ILogger<IssuanceListener> logger) : BackgroundService
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
        await using var connection = await dataSource.OpenConnectionAsync(stoppingToken);
        connection.Notification += (_, e) => Heard(e.Payload);
        await using (var listen = new NpgsqlCommand($"set application_name = '{ApplicationName}'; listen {Channel}", connection))
        {
            await listen.ExecuteNonQueryAsync(stoppingToken);
        }
        // Listening before emptying: a change committed from here on is heard, one before it is read afresh.
        cache.Listening();
        try
        {
            while (true)
            {
                if (!await connection.WaitAsync(PingEvery, stoppingToken))
                {
                    await using var ping = new NpgsqlCommand("select 1", connection);
                    await ping.ExecuteScalarAsync(stoppingToken);
                }
            }
        }
        finally
        {
            // The pool does not reset a returned session (DataServices), so it must not go back listening.
            if (connection.FullState == System.Data.ConnectionState.Open)
            {
                await using var unlisten = new NpgsqlCommand("unlisten *; reset application_name", connection);
                await unlisten.ExecuteNonQueryAsync(CancellationToken.None);
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
