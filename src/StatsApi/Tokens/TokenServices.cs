using Microsoft.Extensions.Options;
using StatsApi.Data;

namespace StatsApi.Tokens;

internal static class TokenServices
{
    public static IHostApplicationBuilder AddStatsApiTokens(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<TokenOptions>().Bind(builder.Configuration.GetSection("Tokens")).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<TokenOptions>, TokenOptionsValidation>();
        builder.Services.AddSingleton<KeyProtector>();
        builder.Services.AddSingleton<SigningKeys>();
        builder.Services.AddHostedService<SigningKeyRefresher>();
        return builder;
    }
}

/// <summary>Picks up keys rotated or retired by another instance or by the 'keys rotate' command, every Tokens:KeyRefreshSeconds.</summary>
internal sealed class SigningKeyRefresher(SigningKeys keys, IOptions<TokenOptions> options, ILogger<SigningKeyRefresher> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.KeyRefreshSeconds));
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await keys.RefreshAsync(stoppingToken);
            }
            catch (Exception ex) when (DatabaseUnavailable.IsFromTheDatabase(ex))
            {
                logger.LogWarning(ex, "Could not reload signing keys; keeping the ones loaded");
            }
        }
    }
}
