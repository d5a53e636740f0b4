using System.Reflection;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.ApiExplorer;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using StatsApi.Http;
using StatsApi.Paging;

namespace StatsApi.Docs;

/// <summary>What the generated schemas cannot know: which fields every answer carries, and the parameters' examples.</summary>
internal static class Shapes
{
    public static Task ApplyAsync(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken cancellationToken)
    {
        var type = context.JsonTypeInfo.Type;
        if (typeof(ProblemDetails).IsAssignableFrom(type))
        {
            DescribeProblem(schema, type);
        }
        else if (schema.Properties is { Count: > 0 } properties && ResponseTypes(context.ApplicationServices).Contains(type))
        {
            // The service writes every field of what it answers, null or not: a client may rely on each being there.
            schema.Required = new HashSet<string>(properties.Keys, StringComparer.Ordinal);
        }
        else if (schema.Required is { Count: > 0 } required && schema.Properties is { } requestProperties)
        {
            // A request's required field is refused when null, as when left out: its type admits no null.
            foreach (var name in required)
            {
                if (requestProperties.TryGetValue(name, out var property) && property is OpenApiSchema { Type: { } fieldType } field)
                {
                    field.Type = fieldType & ~JsonSchemaType.Null;
                }
            }
        }
        return Task.CompletedTask;
    }

    private static readonly Dictionary<string, string> IdDescriptions = new()
    {
        ["course_id"] = "A course of the school.",
        ["lesson_id"] = "A lesson of the school.",
        ["student_id"] = "A student of the school.",
        ["user_id"] = "A person of the school.",
        ["token_id"] = "One of the person's API tokens, from their list.",
        ["client_id"] = "A registered client's id (32 characters).",
    };

    /// <summary>
    /// Every parameter gets an example, and an id in the path says what it names. An optional body (its
    /// schema "null or the type") shows its type's example, which the schema's own would not.
    /// </summary>
    public static void ApplyParameters(OpenApiOperation operation, ApiDescription description)
    {
        var body = description.ParameterDescriptions.FirstOrDefault(p => p.Source == Microsoft.AspNetCore.Mvc.ModelBinding.BindingSource.Body)?.Type;
        foreach (var media in operation.RequestBody?.Content?.Values ?? [])
        {
            if (media.Schema is OpenApiSchema { OneOf.Count: > 0 } && body is not null && Examples.For(body) is { } example)
            {
                media.Example = example;
            }
        }
        var listed = description.SupportedResponseTypes.Select(r => r.Type)
            .FirstOrDefault(t => t is { IsGenericType: true } && t.GetGenericTypeDefinition() == typeof(Page<>))?.GetGenericArguments()[0];
        foreach (var parameter in operation.Parameters?.OfType<OpenApiParameter>() ?? [])
        {
            if (parameter.In == ParameterLocation.Path && string.IsNullOrEmpty(parameter.Description) && parameter.Name is { } name)
            {
                parameter.Description = IdDescriptions.GetValueOrDefault(name);
            }
            Examples.Apply(parameter, listed);
        }
    }

    // The fields every StatsApi error adds to RFC 9457's, so clients can rely on them.
    private static void DescribeProblem(OpenApiSchema schema, Type type)
    {
        schema.Properties ??= new Dictionary<string, IOpenApiSchema>();
        schema.Properties["status"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int32", Description = "The HTTP status code." };
        schema.Properties[Problems.ErrorCode] = new OpenApiSchema
        {
            Type = JsonSchemaType.String,
            Description = "Stable, machine-readable cause, e.g. token_expired, school_not_approved, validation_failed: branch on this, not on title or detail.",
        };
        schema.Properties[Problems.DeveloperMessage] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "What to change in the request." };
        schema.Properties["request_id"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "The X-Request-Id of the response: quote it to support." };
        if (type == typeof(ProblemDetails))
        {
            schema.Properties["errors"] = new OpenApiSchema
            {
                Type = JsonSchemaType.Object,
                Description = "The field at fault and why, when one is.",
                AdditionalProperties = new OpenApiSchema { Type = JsonSchemaType.Array, Items = new OpenApiSchema { Type = JsonSchemaType.String } },
            };
        }
        schema.Required = new HashSet<string>(["title", "status", "instance", Problems.ErrorCode, Problems.DeveloperMessage, "request_id"], StringComparer.Ordinal);
    }

    /// <summary>The types the service answers with, and the types of their fields.</summary>
    private static HashSet<Type> ResponseTypes(IServiceProvider services)
    {
        var found = new HashSet<Type>();
        var descriptions = services.GetRequiredService<IApiDescriptionGroupCollectionProvider>().ApiDescriptionGroups.Items.SelectMany(g => g.Items);
        foreach (var type in descriptions.SelectMany(d => d.SupportedResponseTypes).Select(r => r.Type))
        {
            Collect(type, found);
        }
        return found;
    }

    private static void Collect(Type? type, HashSet<Type> found)
    {
        if (type is null || type.Assembly != typeof(Shapes).Assembly || !found.Add(type))
        {
            foreach (var argument in type is { IsGenericType: true } ? type.GetGenericArguments() : [])
            {
                Collect(argument, found);
            }
            return;
        }
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            var propertyType = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            Collect(propertyType.IsArray ? propertyType.GetElementType() : propertyType, found);
        }
        foreach (var argument in type.IsGenericType ? type.GetGenericArguments() : [])
        {
            Collect(argument, found);
        }
    }
}
