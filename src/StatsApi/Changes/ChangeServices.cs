namespace StatsApi.Changes;

internal static class ChangeServices
{
    public static IHostApplicationBuilder AddStatsApiChanges(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ChangeOptions>().Bind(builder.Configuration.GetSection(ChangeOptions.Section))
            .Validate(o => o.RetentionDays is >= 1 and <= 3650, "Changes:RetentionDays must be between 1 and 3650.").ValidateOnStart();
        builder.Services.AddSingleton<ChangeLogPruner>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ChangeLogPruner>());
        return builder;
    }
}
