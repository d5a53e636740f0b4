using Microsoft.AspNetCore.OpenApi;
using Microsoft.Extensions.Options;
using StatsApi.Redis;

namespace StatsApi.RateLimiting;

internal static class RateLimitServices
{
    public static IHostApplicationBuilder AddStatsApiRateLimits(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<RateLimitOptions>().Bind(builder.Configuration.GetSection("RateLimits")).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<RateLimitOptions>, RateLimitOptionsValidation>();
        builder.Services.AddStatsApiRedis(builder.Configuration);
        builder.Services.AddSingleton<MemoryQuotaStore>();
        builder.Services.AddSingleton<QuotaStore>();
        builder.Services.AddSingleton<ClientUsage>();
        builder.Services.AddHostedService<ClientUsageFlusher>();
        builder.Services.Configure<OpenApiOptions>("v1", o =>
        {
            o.AddDocumentTransformer(RateLimitDocs.DescribeHeadersAsync);
            o.AddOperationTransformer(RateLimitDocs.DescribeOperationAsync);
        });
        return builder;
    }

    /// <summary>After authentication, which names the caller and its tier; before authorization and the endpoints.</summary>
    public static WebApplication UseStatsApiRateLimits(this WebApplication app)
    {
        app.UseMiddleware<ClientUsageCounter>();
        app.UseMiddleware<FailedTokenRequestLimiter>();
        app.UseMiddleware<TierLimiter>();
        return app;
    }
}
