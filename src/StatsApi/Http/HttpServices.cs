using System.Security.Authentication;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace StatsApi.Http;

internal sealed class HttpOptions
{
    /// <summary>Serve plain HTTP behind a TLS-terminating proxy that sets X-Forwarded-Proto.</summary>
    public bool AllowPlainHttp { get; set; }

    /// <summary>Addresses or networks of the proxies whose X-Forwarded-Proto and X-Forwarded-For are believed.</summary>
    public string[] TrustedProxies { get; set; } = [];

    /// <summary>On SIGTERM, how long requests in flight may take to finish before the service exits anyway.</summary>
    public int ShutdownTimeoutSeconds { get; set; } = 20;
}

internal sealed class HttpOptionsValidation : IValidateOptions<HttpOptions>
{
    public ValidateOptionsResult Validate(string? name, HttpOptions options) =>
        options.ShutdownTimeoutSeconds is < 1 or > 600
            ? ValidateOptionsResult.Fail($"Http:ShutdownTimeoutSeconds must be between 1 and 600, not {options.ShutdownTimeoutSeconds}.")
            : ValidateOptionsResult.Success;
}

internal static class HttpServices
{
    public static IHostApplicationBuilder AddStatsApiHttp(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<HttpOptions>().Bind(builder.Configuration.GetSection("Http")).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<HttpOptions>, HttpOptionsValidation>();
        // SIGTERM stops the listeners at once and lets the requests in flight finish, for this long at most.
        // Read here, not through HttpOptions: the host reads its options while it is built, before the
        // settings are checked, and a value that does not parse must fail that check, not the build.
        builder.Services.Configure<HostOptions>(host =>
            host.ShutdownTimeout = TimeSpan.FromSeconds(int.TryParse(builder.Configuration["Http:ShutdownTimeoutSeconds"],
                System.Globalization.CultureInfo.InvariantCulture, out var seconds) ? seconds : new HttpOptions().ShutdownTimeoutSeconds));
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.ConfigureHttpsDefaults(https => https.SslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13);
        });
        builder.Services.Configure<KestrelServerOptions>(o => o.Limits.MaxRequestBodySize = 1024 * 1024);
        builder.Services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            o.SerializerOptions.DictionaryKeyPolicy = null;
            // Numbers are numbers: the web default also reads them from strings, which the contract would then advertise.
            o.SerializerOptions.NumberHandling = JsonNumberHandling.Strict;
            // A key sent twice is two answers to one question; the last one winning would store what the caller may not have meant.
            o.SerializerOptions.AllowDuplicateProperties = false;
        });
        builder.Services.AddProblemDetails(o => o.CustomizeProblemDetails = Problems.Complete);
        builder.Services.AddExceptionHandler<BadRequestBodies>();
        builder.Services.AddHsts(o =>
        {
            o.MaxAge = TimeSpan.FromDays(365);
            o.IncludeSubDomains = true;
        });
        builder.Services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<HttpOptions>>((o, http) =>
        {
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            // Only the proxies named are believed, not even loopback by default: anyone else could claim HTTPS or an address.
            o.KnownProxies.Clear();
            o.KnownIPNetworks.Clear();
            foreach (var proxy in http.Value.TrustedProxies.Where(p => !string.IsNullOrWhiteSpace(p)))
            {
                if (System.Net.IPNetwork.TryParse(proxy, out var network))
                {
                    o.KnownIPNetworks.Add(network);
                }
                else if (System.Net.IPAddress.TryParse(proxy, out var address))
                {
                    o.KnownProxies.Add(address);
                }
                else
                {
                    throw new ConfigurationException($"Http:TrustedProxies: '{proxy}' is neither an IP address nor a network such as 10.0.0.0/8.");
                }
            }
        });
        return builder;
    }

    public static WebApplication UseStatsApiHttp(this WebApplication app)
    {
        var plainHttp = app.Services.GetRequiredService<IOptions<HttpOptions>>().Value.AllowPlainHttp;
        if (plainHttp)
        {
            var forwarding = app.Services.GetRequiredService<IOptions<ForwardedHeadersOptions>>().Value;
            if (forwarding.KnownProxies.Count == 0 && forwarding.KnownIPNetworks.Count == 0)
            {
                throw new ConfigurationException(
                    "Http:AllowPlainHttp needs the TLS-terminating proxy named in Http:TrustedProxies (e.g. Http__TrustedProxies__0=10.0.0.5).");
            }
            app.UseForwardedHeaders();
        }
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        // Sent only on HTTPS responses, including those a trusted proxy says it received over HTTPS.
        app.UseHsts();
        // Secrets and bearer tokens must never cross the wire in clear (RFC 6750 section 5.3). Behind a proxy,
        // a request is HTTPS only when a trusted proxy says so (X-Forwarded-Proto, applied above); a request
        // that reaches the port directly is refused, except the health probes orchestrators send that way.
        app.Use(async (context, next) =>
        {
            if (context.Request.IsHttps || (plainHttp && Probes.IsProbe(context.Request.Path)))
            {
                await next(context);
                return;
            }
            await Problems.Create(StatusCodes.Status400BadRequest, "https_required", "HTTPS is required.",
                "This service answers over HTTPS (TLS 1.2 or 1.3) only.").ExecuteAsync(context);
        });
        app.Use(async (context, next) =>
        {
            var headers = context.Response.Headers;
            headers.XContentTypeOptions = "nosniff";
            headers["Referrer-Policy"] = "no-referrer";
            headers.XFrameOptions = "DENY";
            await next(context);
        });
        app.UseMiddleware<BodySizeLimit>();
        app.UseMiddleware<NotAcceptable>();
        return app;
    }
}
