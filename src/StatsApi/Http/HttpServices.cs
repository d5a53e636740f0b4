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
        builder.Services.AddHsts(o =>
        {
            o.MaxAge = TimeSpan.FromDays(365);
            o.IncludeSubDomains = true;
        });
        builder.Services.Configure<ForwardedHeadersOptions>(o =>
        {
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            o.KnownIPNetworks.Clear();
            o.KnownProxies.Clear();
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
        if (!plainHttp)
        {
            app.UseHsts();
            // Bearer tokens must never cross the wire in clear (RFC 6750 section 5.3).
            app.Use(async (context, next) =>
            {
                if (context.Request.IsHttps)
                {
                    await next(context);
                    return;
                }
                await Problems.Create(StatusCodes.Status400BadRequest, "https_required", "HTTPS is required.",
                    "This service answers over HTTPS (TLS 1.2 or 1.3) only.").ExecuteAsync(context);
            });
        }
        app.Use(async (context, next) =>
        {
            var headers = context.Response.Headers;
            headers.XContentTypeOptions = "nosniff";
            headers["Referrer-Policy"] = "no-referrer";
            headers.XFrameOptions = "DENY";
            await next(context);
        });
        return app;
    }
}
