using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.Extensions.Options;

namespace StatsApi.Auth;

public static partial class AuthServices
{
    public static IHostApplicationBuilder AddStatsApiAuth(this IHostApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection("Auth");
        Validate(section.Get<AuthOptions>() ?? new AuthOptions());
        builder.Services.Configure<AuthOptions>(section);
        builder.Services.AddSingleton<IConfigureOptions<JwtBearerOptions>, JwtBearerSetup>();
        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
        builder.Services.AddAuthorization();
        builder.Services.AddSingleton<IAuthorizationHandler, ScopeHandler>();
        builder.Services.AddSingleton<IAuthorizationHandler, SchoolAccessHandler>();
        builder.Services.AddSingleton<IAuthorizationMiddlewareResultHandler, ForbiddenResponses>();
        return builder;
    }

    // The claim names appear in 401 bodies and the WWW-Authenticate header, so they are plain tokens.
    private static void Validate(AuthOptions auth)
    {
        if (!AuthOptions.ScopeClaims.Contains(auth.ScopeClaim))
        {
            throw new ConfigurationException($"Auth:ScopeClaim must be one of {string.Join(", ", AuthOptions.ScopeClaims)}.");
        }
        if (!PlainToken().IsMatch(auth.SchoolsClaim))
        {
            throw new ConfigurationException("Auth:SchoolsClaim must be a claim name of letters, digits and . _ : -.");
        }
        if (auth.TokenTypes?.Any(t => !PlainToken().IsMatch(t ?? "")) == true)
        {
            throw new ConfigurationException("Auth:TokenTypes must be typ values such as at+jwt or JWT.");
        }
    }

    [GeneratedRegex("^[A-Za-z0-9._:+-]{1,64}\\z")]
    private static partial Regex PlainToken();

    /// <summary>Every endpoint of the group needs a valid token with this scope, for the school it names.</summary>
    public static TBuilder RequireSchoolScope<TBuilder>(this TBuilder builder, string scope) where TBuilder : IEndpointConventionBuilder =>
        builder.RequireAuthorization(policy => policy
            .RequireAuthenticatedUser()
            .AddRequirements(new ScopeRequirement(scope), new SchoolAccessRequirement()));
}
