using System.Security.Authentication;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace StatsApi.Http;

public sealed class HttpOptions
{
    /// <summary>Serve plain HTTP behind a TLS-terminating proxy that sets X-Forwarded-Proto.</summary>
    public bool AllowPlainHttp { get; set; }
}

public static class HttpServices
{
    public static IHostApplicationBuilder AddStatsApiHttp(this WebApplicationBuilder builder)
    {
        builder.Services.Configure<HttpOptions>(builder.Configuration.GetSection("Http"));
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
        });
        builder.Services.AddProblemDetails(o => o.CustomizeProblemDetails = Problems.Complete);
        builder.Services.AddExceptionHandler<BadRequestBodies>();
        builder.Services.AddExceptionHandler<DatabaseUnavailable>();
        builder.Services.AddExceptionHandler<ConstraintViolations>();
        builder.Services.AddHsts(o =>
        {
            o.MaxAge = TimeSpan.FromDays(365);
            o.IncludeSubDomains = true;
        });
        var trustedProxies = builder.Configuration.GetSection("Http:TrustedProxies").Get<string[]>() ?? [];
        builder.Services.Configure<ForwardedHeadersOptions>(o =>
        {
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            // Loopback is trusted by default; a proxy elsewhere must be named, or anyone could claim HTTPS or an address.
            foreach (var proxy in trustedProxies)
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
        app.UseMiddleware<RequestIdMiddleware>();
        var plainHttp = app.Configuration.GetValue<bool>("Http:AllowPlainHttp");
        if (plainHttp)
        {
            app.UseForwardedHeaders();
        }
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        // Sent only on HTTPS responses, including those a trusted proxy says it received over HTTPS.
        app.UseHsts();
        // Bearer tokens must never cross the wire in clear (RFC 6750 section 5.3). Behind a proxy, plain
        // HTTP is refused when the trusted proxy reports that the client itself used it.
        app.Use(async (context, next) =>
        {
            var reachedInClear = plainHttp
                ? !context.Request.IsHttps && context.Request.Headers.ContainsKey("X-Original-Proto")
                : !context.Request.IsHttps;
            if (!reachedInClear)
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
        return app;
    }
}
