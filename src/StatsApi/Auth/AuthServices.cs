using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;

namespace StatsApi.Auth;

internal static class AuthServices
{
    public static IHostApplicationBuilder AddStatsApiAuth(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<AuthOptions>().Bind(builder.Configuration.GetSection("Auth")).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<AuthOptions>, AuthOptionsValidation>();
        builder.Services.AddSingleton<IConfigureOptions<JwtBearerOptions>, JwtBearerSetup>();
        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
        builder.Services.AddAuthorization();
        builder.Services.AddSingleton<IAuthorizationHandler, ScopeHandler>();
        builder.Services.AddSingleton<IAuthorizationHandler, SchoolAccessHandler>();
        builder.Services.AddSingleton<IAuthorizationHandler, PersonHandler>();
        builder.Services.AddAccessRules();
        builder.Services.AddSingleton<IAuthorizationMiddlewareResultHandler, ForbiddenResponses>();
        builder.Services.AddSingleton<Revocations>();
        builder.Services.AddSingleton<CachingTokenHandler>();
        builder.Services.AddHostedService<RevocationRefresher>();
        return builder;
    }

    /// <summary>Every endpoint of the group needs a valid token with this scope.</summary>
    public static TBuilder RequireScope<TBuilder>(this TBuilder builder, string scope) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new ScopeRequirement(scope))
            .RequireAuthorization(policy => policy.RequireAuthenticatedUser().AddRequirements(new ScopeRequirement(scope)));

    /// <summary>
    /// Every endpoint of the group touches exactly one school, named as school_id in <paramref name="source"/>,
    /// which must be among the token's schools. Handlers bind <see cref="AuthorizedSchool"/> to act on it.
    /// </summary>
    public static TBuilder RequireSchool<TBuilder>(this TBuilder builder, SchoolSource source) where TBuilder : IEndpointConventionBuilder
    {
        builder.WithMetadata(new SchoolScope(source));
        builder.RequireAuthorization(policy => policy.RequireAuthenticatedUser().AddRequirements(new SchoolAccessRequirement()));
        return builder.AddOpenApiOperationTransformer((operation, _, _) =>
        {
            // The handler binds the authorised school, not the parameter, so the contract states it here.
            var location = source == SchoolSource.Route ? ParameterLocation.Path : ParameterLocation.Query;
            operation.Parameters ??= [];
            var existing = operation.Parameters.FirstOrDefault(p => p.Name == SchoolScope.Parameter && p.In == location);
            if (existing is not null)
            {
                operation.Parameters.Remove(existing);
            }
            operation.Parameters.Insert(0, new OpenApiParameter
            {
                Name = SchoolScope.Parameter,
                In = location,
                Required = true,
                Description = "The school, one of the token's schools, e.g. oakwood-primary.",
                Schema = new OpenApiSchema { Type = JsonSchemaType.String, Pattern = SchoolIds.Pattern },
            });
            return Task.CompletedTask;
        });
    }
}
