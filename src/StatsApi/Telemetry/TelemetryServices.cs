using Microsoft.Extensions.Options;
using Npgsql;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using StatsApi.Http;

namespace StatsApi.Telemetry;

internal static class TelemetryServices
{
    /// <summary>The standard variable (or setting) that names the OTLP collector; unset, nothing is exported over OTLP.</summary>
    public const string OtlpEndpoint = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>
    /// Traces and metrics of ASP.NET Core, HttpClient and Npgsql, and the StatsApi meter: exported over
    /// OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set (the exporter reads the other OTEL_* settings), and
    /// served to Prometheus on Telemetry:MetricsUrls when that is set. Tracing is on even with no
    /// exporter, sampling nothing: every request then has the trace id that its X-Request-Id repeats.
    /// </summary>
    public static IHostApplicationBuilder AddStatsApiTelemetry(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<TelemetryOptions>().Bind(builder.Configuration.GetSection("Telemetry")).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<TelemetryOptions>, TelemetryOptionsValidation>();
        var telemetry = builder.Configuration.GetSection("Telemetry").Get<TelemetryOptions>() ?? new TelemetryOptions();
        var otlp = !string.IsNullOrWhiteSpace(builder.Configuration[OtlpEndpoint]);
        var scraped = telemetry.MetricsUrls.Length > 0;

        var openTelemetry = builder.Services.AddOpenTelemetry().ConfigureResource(resource =>
        {
            if (string.IsNullOrWhiteSpace(builder.Configuration["OTEL_SERVICE_NAME"]))
            {
                resource.AddService(telemetry.ServiceName);
            }
        });
        openTelemetry.WithTracing(tracing =>
        {
            // Probes arrive every few seconds from every orchestrator: recorded, they would bury the requests.
            tracing.AddAspNetCoreInstrumentation(o => o.Filter = context => !Probes.IsProbe(context.Request.Path))
                .AddHttpClientInstrumentation()
                .AddNpgsql();
            if (otlp)
            {
                tracing.AddOtlpExporter();
            }
            else
            {
                // With no exporter, no span is read: a request keeps its trace id (its X-Request-Id, and a
                // caller's traceparent is carried on), but no span is filled in, tagged and then thrown away.
                tracing.SetSampler(new AlwaysOffSampler());
            }
        });
        if (otlp || scraped)
        {
            openTelemetry.WithMetrics(metrics =>
            {
                metrics.AddAspNetCoreInstrumentation()
                    .AddHttpClientInstrumentation()
                    .AddNpgsqlInstrumentation()
                    .AddMeter(StatsApiMetrics.MeterName);
                if (otlp)
                {
                    metrics.AddOtlpExporter();
                }
                if (scraped)
                {
                    metrics.AddPrometheusExporter();
                }
            });
        }
        if (scraped)
        {
            builder.Services.AddSingleton<MetricsListener>();
            builder.Services.AddHostedService(services => services.GetRequiredService<MetricsListener>());
        }
        return builder;
    }
}
