using StatsApi.Clients;

namespace StatsApi.OAuth;

internal static class OAuthServices
{
    /// <summary>The token endpoints' services: the client registry they authenticate against and the issuer.</summary>
    public static IHostApplicationBuilder AddStatsApiOAuth(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<ApiClients>();
        builder.Services.AddSingleton<IssuanceCache>();
        if (builder.Configuration.GetValue("Tokens:Enabled", true))
        {
            builder.Services.AddHostedService<IssuanceListener>();
        }
        builder.Services.AddSingleton<TokenIssuer>();
        return builder;
    }
}
