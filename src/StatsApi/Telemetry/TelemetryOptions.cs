using Microsoft.Extensions.Options;

namespace StatsApi.Telemetry;

internal sealed class TelemetryOptions
{
    /// <summary>
    /// Plain-HTTP addresses of the management listener that serves /metrics (Prometheus), such as
    /// http://127.0.0.1:9464; none, no /metrics. The API's own addresses never serve it.
    /// </summary>
    public string[] MetricsUrls { get; set; } = [];

    /// <summary>service.name in traces and metrics, unless OTEL_SERVICE_NAME says otherwise.</summary>
    public string ServiceName { get; set; } = "statsapi";
}

internal sealed class TelemetryOptionsValidation : IValidateOptions<TelemetryOptions>
{
    public ValidateOptionsResult Validate(string? name, TelemetryOptions options)
    {
        var failures = options.MetricsUrls
            .Where(url => !IsHttpAddress(url))
            .Select(url => $"Telemetry:MetricsUrls: '{url}' must be a plain http address with a port, such as http://127.0.0.1:9464.")
            .ToList();
        if (string.IsNullOrWhiteSpace(options.ServiceName))
        {
            failures.Add("Telemetry:ServiceName must not be empty.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    // Kestrel's forms: http://host:port, with + or * for every interface.
    private static bool IsHttpAddress(string url) =>
        url.StartsWith("http://", StringComparison.OrdinalIgnoreCase) &&
        Uri.TryCreate(url.Replace("://+:", "://0.0.0.0:", StringComparison.Ordinal).Replace("://*:", "://0.0.0.0:", StringComparison.Ordinal), UriKind.Absolute, out var uri) &&
        !uri.IsDefaultPort && uri.AbsolutePath == "/";
}
