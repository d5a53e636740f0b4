using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using StatsApi.Tokens;

namespace StatsApi.Http;

/// <summary>The OpenAPI document and the Swagger UI at /api-docs.</summary>
public static class ApiDocs
{
    public const string DocumentPath = "/openapi/v1.json";

    public static IHostApplicationBuilder AddStatsApiDocs(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOpenApi("v1", options =>
        {
            options.OpenApiVersion = OpenApiSpecVersion.OpenApi3_1;
            options.AddDocumentTransformer(DescribeAsync);
            options.AddSchemaTransformer(Docs.Examples.ApplyAsync);
            options.AddSchemaTransformer((schema, context, _) =>
            {
                // The fields every StatsApi error adds to RFC 9457's, so clients can rely on them.
                if (typeof(Microsoft.AspNetCore.Mvc.ProblemDetails).IsAssignableFrom(context.JsonTypeInfo.Type))
                {
                    schema.Properties ??= new Dictionary<string, IOpenApiSchema>();
                    schema.Properties[Problems.ErrorCode] = new OpenApiSchema
                    {
                        Type = JsonSchemaType.String,
                        Description = "Stable, machine-readable cause, e.g. token_expired, school_not_approved, validation_failed.",
                    };
                    schema.Properties[Problems.DeveloperMessage] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "What to change in the request." };
                    schema.Properties["request_id"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "The X-Request-Id of the response, for support." };
                }
                return Task.CompletedTask;
            });
            options.AddOperationTransformer((operation, context, _) =>
            {
                var metadata = context.Description.ActionDescriptor.EndpointMetadata;
                if (metadata.OfType<Microsoft.AspNetCore.Authorization.IAuthorizeData>().Any())
                {
                    // Either scheme will do; the client-credentials one lists the scopes the operation needs.
                    var scopes = metadata.OfType<Auth.ScopeRequirement>().Select(r => r.Scope).Distinct().ToList();
                    operation.Security =
                    [
                        new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("bearer", context.Document)] = [] },
                        new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("oauth2", context.Document)] = scopes },
                    ];
                }
                return Task.CompletedTask;
            });
        });
        return builder;
    }

    public static WebApplication MapStatsApiDocs(this WebApplication app)
    {
        app.MapOpenApi("/openapi/{documentName}.json").AllowAnonymous();
        app.MapOpenApi("/openapi/{documentName}.yaml").AllowAnonymous();
        // Secrets and tokens entered under Authorize stay in the page's memory unless configured otherwise:
        // persisted, they sit in localStorage, where any script of the origin and anyone at the browser reads them.
        var persistAuthorization = app.Configuration.GetValue<bool>("ApiDocs:PersistAuthorization");
        app.UseSwaggerUI(ui =>
        {
            ui.RoutePrefix = "api-docs";
            ui.DocumentTitle = "StatsApi";
            ui.SwaggerEndpoint(DocumentPath, "StatsApi v1");
            ui.EnableTryItOutByDefault();
            if (persistAuthorization)
            {
                ui.EnablePersistAuthorization();
            }
            ui.DisplayRequestDuration();
        });
        return app;
    }

    private static Task DescribeAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Info = new OpenApiInfo
        {
            Title = "StatsApi",
            Version = "v1",
            Description = "School data for integrators and teachers' tools. Every call needs an OAuth 2.0 access token " +
                "(client credentials, POST /oauth/token) and may touch only the schools the token is approved for. " +
                "Errors are RFC 9457 problem details with an error_code and a request_id; every response carries X-Request-Id.",
        };
        // Relative to wherever the document is served, so the same document holds for every deployment.
        document.Servers = [];
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes = new Dictionary<string, IOpenApiSecurityScheme>
        {
            ["bearer"] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                BearerFormat = "JWT",
                Description = "Paste an access token from POST /oauth/token.",
            },
            ["oauth2"] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.OAuth2,
                Description = "OAuth 2.0 client credentials against this service's token endpoint.",
                Flows = new OpenApiOAuthFlows
                {
                    ClientCredentials = new OpenApiOAuthFlow
                    {
                        TokenUrl = new Uri("/oauth/token", UriKind.Relative),
                        Scopes = Scopes.All.Order().ToDictionary(s => s, s => $"Grants {s}."),
                    },
                },
            },
        };
        return Task.CompletedTask;
    }
}
