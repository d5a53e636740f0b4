namespace StatsApi.Privacy;

public static class PrivacyServices
{
    public static IHostApplicationBuilder AddStatsApiPrivacy(this IHostApplicationBuilder builder) => builder;
}
