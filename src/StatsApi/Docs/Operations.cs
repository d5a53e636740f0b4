using System.Text.RegularExpressions;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace StatsApi.Docs;

/// <summary>
/// Completes every operation from its endpoint's metadata: access, shared responses and headers, examples.
/// A document transformer rather than an operation transformer, because it must run after the endpoints'
/// own transformers (which add parameters and bodies), and the framework runs those after the global ones.
/// </summary>
internal static partial class Operations
{
    public static Task CompleteAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        foreach (var description in context.DescriptionGroups.SelectMany(g => g.Items))
        {
            var path = "/" + RouteConstraint().Replace(description.RelativePath ?? "", "}").TrimEnd('/');
            if (document.Paths.GetValueOrDefault(path)?.Operations?.GetValueOrDefault(HttpMethod.Parse(description.HttpMethod)) is not { } operation)
            {
                continue;
            }
            Access.Apply(operation, description, document);
            CommonResponses.Apply(operation, description, document);
            Shapes.ApplyParameters(operation, description);
        }
        return Task.CompletedTask;
    }

    [GeneratedRegex(":[^}]*}")]
    private static partial Regex RouteConstraint();
}
