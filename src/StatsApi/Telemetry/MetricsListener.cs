using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;

namespace StatsApi.Telemetry;

/// <summary>
/// A second, plain-HTTP listener that serves only GET /metrics, on Telemetry:MetricsUrls: the scrape
/// stays off the API's addresses, its TLS, its proxy rules and its request log, and the port can be
/// left unpublished or firewalled to the scraper (decision 0006).
/// </summary>
internal sealed class MetricsListener(MeterProvider meterProvider, IOptions<TelemetryOptions> options) : IHostedService, IAsyncDisposable
{
    public const string Path = "/metrics";

    private WebApplication? _listener;

    /// <summary>The addresses it listens on, with the ports bound (for a configured port 0).</summary>
    public IReadOnlyList<string> Addresses => _listener?.Urls.ToList() ?? [];

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // Empty: none of the service's configuration, Kestrel endpoints or logging applies to this listener.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().UseUrls([.. options.Value.MetricsUrls]);
        builder.Services.AddSingleton<IHostLifetime, NoSignalHandling>();
        var listener = builder.Build();
        listener.UseOpenTelemetryPrometheusScrapingEndpoint(meterProvider, predicate: null!, path: Path, configureBranchedPipeline: null!, optionsName: null!);
        listener.Run(context =>
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        });
        await listener.StartAsync(cancellationToken);
        _listener = listener;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_listener is not null)
        {
            await _listener.StopAsync(cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_listener is not null)
        {
            await _listener.DisposeAsync();
        }
    }

    // The service's own host handles SIGTERM and stops this listener with its other services.
    private sealed class NoSignalHandling : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
