using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.Extensions.Options;

namespace StatsApi.Auth;

public static class AuthServices
{
    public static IHostApplicationBuilder AddStatsApiAuth(this IHostApplicationBuilder builder)
    {
        builder.Services.Configure<AuthOptions>(builder.Configuration.GetSection("Auth"));
        builder.Services.AddSingleton<IConfigureOptions<JwtBearerOptions>, JwtBearerSetup>();
        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
        builder.Services.AddAuthorization();
        builder.Services.AddSingleton<IAuthorizationHandler, ScopeHandler>();
        builder.Services.AddSingleton<IAuthorizationHandler, SchoolAccessHandler>();
        builder.Services.AddSingleton<IAuthorizationMiddlewareResultHandler, ForbiddenResponses>();
        return builder;
    }

    /// <summary>Every endpoint of the group needs a valid token with this scope, for the school it names.</summary>
    public static TBuilder RequireSchoolScope<TBuilder>(this TBuilder builder, string scope) where TBuilder : IEndpointConventionBuilder =>
        builder.RequireAuthorization(policy => policy
            .RequireAuthenticatedUser()
            .AddRequirements(new ScopeRequirement(scope), new SchoolAccessRequirement()));
}
