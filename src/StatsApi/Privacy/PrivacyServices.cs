namespace StatsApi.Privacy;

internal static class PrivacyServices
{
    public static IHostApplicationBuilder AddStatsApiPrivacy(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<RetentionOptions>().Bind(builder.Configuration.GetSection("Retention")).ValidateOnStart();
        builder.Services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<RetentionOptions>, RetentionOptionsValidation>();
        builder.Services.AddSingleton<RetentionJob>();
        builder.Services.AddHostedService(services => services.GetRequiredService<RetentionJob>());
        return builder;
    }
}
