using System.Reflection;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using StatsApi.Http;
using StatsApi.Paging;

namespace StatsApi.Docs;

/// <summary>
/// Examples in the contract: each contract type's own (<see cref="ExampleAttribute"/>), a page of one row for
/// a list, and parameters' values that answer with data on the demo schools.
/// </summary>
internal static class Examples
{
    /// <summary>An ETag of a summary: its school's version and a digest of the question.</summary>
    public const string AnswerETag = "\"v1842-5d41402abc4b2a76b9719d911017c592\"";

    /// <summary>
    /// Parameters by name. Swagger UI fills Try it out with a parameter's own example, so required ones carry
    /// one that answers with data; optional ones carry theirs in the schema, which it shows but does not send.
    /// </summary>
    private static readonly Dictionary<string, JsonNode> ParameterValues = new()
    {
        ["school_id"] = ExampleValues.School,
        ["course_id"] = 1,
        ["lesson_id"] = 318,
        ["student_id"] = 22,
        ["user_id"] = 2,
        ["teacher_id"] = 2,
        ["token_id"] = 1,
        ["client_id"] = ExampleValues.ClientId,
        ["from"] = "2026-09-01",
        ["to"] = "2026-09-30",
        ["group_by"] = "week",
        ["limit"] = 50,
        ["q"] = "math",
        ["role"] = "teacher",
        ["active"] = true,
        ["cascade"] = false,
        ["client_secret"] = ExampleValues.ClientSecret,
        ["Idempotency-Key"] = "5f1d3c2e-8a47-4b6e-9c0d-2e7f1a9b3c45",
        ["If-Match"] = "\"v1\"",
        ["If-None-Match"] = AnswerETag,
    };

    public static Task ApplyAsync(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken cancellationToken)
    {
        if (For(context.JsonTypeInfo.Type) is { } example)
        {
            schema.Examples = [example];
        }
        return Task.CompletedTask;
    }

    /// <summary>The example of a contract type, a page of one row for a list; null when it has none.</summary>
    public static JsonNode? For(Type type)
    {
        if (type.GetCustomAttribute<ExampleAttribute>() is { } example)
        {
            return JsonNode.Parse(example.Json);
        }
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Page<>)
            && type.GetGenericArguments()[0].GetCustomAttribute<ExampleAttribute>() is { } row)
        {
            var next = NextCursor(row) is { } cursor ? $"{row.NextPagePath}?limit=1&cursor={cursor}" : null;
            return new JsonObject { ["data"] = new JsonArray(JsonNode.Parse(row.Json)), ["next"] = next };
        }
        return null;
    }

    // The cursor a list hands out after the example row: its key, encoded as the list encodes it.
    private static string? NextCursor(ExampleAttribute? row) =>
        row is { NextPagePath: not null, NextPageKey: { } key } ? Cursor.FromJson(key) : null;

    /// <summary>Gives the parameter its example, where Try it out uses it when required and in its schema otherwise.</summary>
    public static void Apply(OpenApiParameter parameter, Type? pageRow)
    {
        var value = parameter.Name == "cursor" && NextCursor(pageRow?.GetCustomAttribute<ExampleAttribute>()) is { } cursor
            ? cursor
            : parameter.Name is { } name && ParameterValues.TryGetValue(name, out var known) ? known.DeepClone() : null;
        if (value is null)
        {
            return;
        }
        if (parameter.Required)
        {
            parameter.Example = value;
        }
        else if (parameter.Schema is OpenApiSchema schema)
        {
            schema.Examples = [value];
        }
    }
}
