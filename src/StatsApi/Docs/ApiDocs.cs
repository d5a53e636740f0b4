using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace StatsApi.Docs;

/// <summary>The OpenAPI document and the Swagger UI at /api-docs.</summary>
internal static class ApiDocs
{
    public const string DocumentPath = "/openapi/v1.json";

    /// <summary>The page's query parameter that fills in the Authorize dialog's client id, as the developer portal's links do.</summary>
    public const string ClientIdParameter = "client_id";

    private const string ClientIdScript = "/api-docs/client-id.js";

    public static IHostApplicationBuilder AddStatsApiDocs(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOpenApi("v1", options =>
        {
            options.OpenApiVersion = OpenApiSpecVersion.OpenApi3_1;
            options.AddSchemaTransformer(Examples.ApplyAsync);
            options.AddSchemaTransformer(Shapes.ApplyAsync);
            options.AddDocumentTransformer(DescribeAsync);
            options.AddDocumentTransformer(CommonResponses.DescribeAsync);
            options.AddDocumentTransformer(Operations.CompleteAsync);
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
            // What Try it out puts in a form body (ApiDocsPage.js), inline: the page loads no script of ours from elsewhere.
            ui.HeadContent = $"<script>\n{PagePlugin.Value}</script>";
            ui.ConfigObject.Plugins = [PagePlugin.Name];
            if (persistAuthorization)
            {
                ui.EnablePersistAuthorization();
            }
            ui.DisplayRequestDuration();
            ui.InjectJavascript(ClientIdScript);
        });
        app.MapGet(ClientIdScript, () => Results.Stream(
            typeof(ApiDocs).Assembly.GetManifestResourceStream("docs/client-id.js") ?? throw new InvalidOperationException("docs/client-id.js is not embedded."),
            "text/javascript; charset=utf-8")).AllowAnonymous().ExcludeFromDescription();
        return app;
    }

    private static readonly (string Name, string Value) PagePlugin = ("StatsApiDocs", ReadPlugin());

    private static string ReadPlugin()
    {
        using var stream = typeof(ApiDocs).Assembly.GetManifestResourceStream("docs/ApiDocsPage.js")
            ?? throw new InvalidOperationException("The docs page's plugin is not embedded.");
        return new StreamReader(stream).ReadToEnd();
    }

    private static readonly Dictionary<string, string> Tags = new()
    {
        ["Token service"] = "OAuth 2.0 access tokens: client credentials, the API-token exchange that acts for a person, and the keys and metadata that verify tokens.",
        ["Attendance"] = "Attendance totals, a lesson's register, one student's marks.",
        ["Schools"] = "The schools a token is approved for.",
        ["Users"] = "A school's people: students, teachers and school admins.",
        ["Courses"] = "A school's courses and who is enrolled in them.",
        ["Lessons"] = "A school's timetable: lessons of its courses.",
        ["API tokens"] = "People's API tokens, which a teachers' tool exchanges for an access token that acts for the person.",
        ["Client administration"] = "The platform's registered clients, for an application holding the admin scope.",
    };

    private static Task DescribeAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Info = new OpenApiInfo
        {
            Title = "StatsApi",
            Version = "v1",
            Description = string.Join("\n",
                "School data for integrators and teachers' tools. Every call needs an OAuth 2.0 access token and may touch only the " +
                "schools the token is approved for. Errors are RFC 9457 problem details with an error_code and a request_id; every " +
                "response carries X-Request-Id: quote it when you ask for help.",
                "",
                "**Authorize** offers three ways in:",
                "- **oauth2**: a client's id and secret; the page fetches a client-credentials token from POST /oauth/token.",
                "- **bearer**: paste an access token you already have.",
                "- **a person** (a teachers' tool acting for a teacher): under **apiToken**, the person's API token as user name and no " +
                "password; then Try it out on POST /oauth/token with the client's secret in client_secret and the application/json " +
                "example *The API-token exchange*. Paste the access_token it answers under **bearer** and the " +
                "same secret under **clientSecret**: every request with a person's token sends it.",
                "",
                "**jwt** and **apiTokenBare** are the forms Open edX services and teachers' tools send, for tools that check calls " +
                "against this document; on this page, use **bearer** and **apiToken**."),
        };
        // Relative to wherever the document is served, so the same document holds for every deployment.
        document.Servers = [new OpenApiServer { Url = "/", Description = "This service, where the document is served from." }];
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes = Access.Schemes();
        document.Tags = new HashSet<OpenApiTag>(Tags.Select(t => new OpenApiTag { Name = t.Key, Description = t.Value }));
        return Task.CompletedTask;
    }
}
