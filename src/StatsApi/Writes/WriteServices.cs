namespace StatsApi.Writes;

internal static class WriteServices
{
    public static IHostApplicationBuilder AddStatsApiWrites(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<SchoolWrites>();
        builder.Services.AddHostedService<IdempotencyKeySweeper>();
        // Binding failures reach the exception handler, which names the field at fault, in every environment.
        builder.Services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        return builder;
    }
}
