using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace StatsApi.Tests.Infrastructure;

/// <summary>One operation of the contract: where it is in the document and what it says.</summary>
public sealed record ContractOperation(string Id, string Method, string Path, string Location, JsonElement Node)
{
    public bool IsPublic => !Node.TryGetProperty("security", out var security) ||
        security.EnumerateArray().Any(requirement => !requirement.EnumerateObject().Any());

    public IEnumerable<JsonElement> Parameters(ContractDocument document) =>
        Node.TryGetProperty("parameters", out var parameters) ? parameters.EnumerateArray().Select(p => document.Resolve(p, "").Node) : [];

    public bool HasJsonBody => Node.TryGetProperty("requestBody", out var body) &&
        body.GetProperty("content").TryGetProperty("application/json", out _);

    public bool Documents(int status) => Node.GetProperty("responses").TryGetProperty(status.ToString(CultureInfo.InvariantCulture), out _);

    public override string ToString() => $"{Id} ({Method} {Path})";
}

/// <summary>
/// openapi.yaml, read as the document it is, with a JSON Schema 2020-12 validator over it: the whole document
/// is registered under one URI, so a schema's $ref to '#/components/schemas/…' resolves as written.
/// </summary>
public sealed class ContractDocument
{
    private static readonly Uri BaseUri = new("https://statsapi.test/openapi.json");
    private static readonly EvaluationOptions Evaluation = new() { OutputFormat = OutputFormat.List, RequireFormatValidation = true };

    private readonly JsonElement _root;
    private readonly BuildOptions _build;
    private readonly Dictionary<string, JsonSchema> _schemas = new(StringComparer.Ordinal);

    private ContractDocument(JsonElement root)
    {
        _root = root;
        var registry = new SchemaRegistry();
        registry.Register(BaseUri, new JsonElementBaseDocument(root, BaseUri));
        _build = new BuildOptions { SchemaRegistry = registry, Dialect = Dialect.Draft202012 };
        Operations = [.. root.GetProperty("paths").EnumerateObject().SelectMany(path => path.Value.EnumerateObject()
            .Where(operation => operation.Value.TryGetProperty("operationId", out _))
            .Select(operation => new ContractOperation(
                operation.Value.GetProperty("operationId").GetString()!,
                operation.Name.ToUpperInvariant(),
                path.Name,
                $"/paths/{Escape(path.Name)}/{operation.Name}",
                operation.Value)))];
    }

    public static ContractDocument Load() => Parse(Repository.Read("openapi.yaml"));

    public static ContractDocument Parse(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return new ContractDocument(JsonSerializer.SerializeToElement(ToJson(stream.Documents[0].RootNode)));
    }

    // YAML 1.2's JSON schema: a plain null, true, false or number is that value; anything quoted is a string.
    private static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode mapping => new JsonObject(mapping.Children.Select(c => KeyValuePair.Create(((YamlScalarNode)c.Key).Value!, ToJson(c.Value)))),
        YamlSequenceNode sequence => new JsonArray([.. sequence.Children.Select(ToJson)]),
        YamlScalarNode { Style: ScalarStyle.Plain, Value: "null" or "~" or "" } => null,
        YamlScalarNode { Style: ScalarStyle.Plain, Value: "true" or "false" } scalar => JsonValue.Create(scalar.Value == "true"),
        YamlScalarNode { Style: ScalarStyle.Plain } scalar when long.TryParse(scalar.Value, CultureInfo.InvariantCulture, out var integer) => JsonValue.Create(integer),
        YamlScalarNode { Style: ScalarStyle.Plain } scalar when double.TryParse(scalar.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) => JsonValue.Create(number),
        YamlScalarNode scalar => JsonValue.Create(scalar.Value),
        _ => throw new InvalidDataException($"Unexpected YAML node {node.GetType().Name}."),
    };

    public IReadOnlyList<ContractOperation> Operations { get; }

    public ContractOperation this[string operationId] => Operations.Single(o => o.Id == operationId);

    /// <summary>Follows an OpenAPI $ref ('#/components/responses/…'), returning the object and its pointer.</summary>
    public (JsonElement Node, string Location) Resolve(JsonElement node, string location)
    {
        while (node.ValueKind == JsonValueKind.Object && node.TryGetProperty("$ref", out var reference) && !IsSchemaPointer(location))
        {
            location = reference.GetString()!.TrimStart('#');
            node = At(location);
        }
        return (node, location);
    }

    /// <summary>The example the document gives a parameter: its own, or its schema's first.</summary>
    public static JsonNode? ExampleOf(JsonElement parameter) =>
        parameter.TryGetProperty("example", out var example) ? JsonNode.Parse(example.GetRawText())
        : parameter.GetProperty("schema").TryGetProperty("examples", out var examples) ? JsonNode.Parse(examples[0].GetRawText())
        : null;

    /// <summary>The example of the operation's request body in this media type, from its schema.</summary>
    public JsonNode ExampleBody(ContractOperation operation, string mediaType)
    {
        var schema = operation.Node.GetProperty("requestBody").GetProperty("content").GetProperty(mediaType).GetProperty("schema");
        if (schema.TryGetProperty("$ref", out var reference))
        {
            schema = At(reference.GetString()!.TrimStart('#'));
        }
        return JsonNode.Parse(schema.GetProperty("examples")[0].GetRawText())!;
    }

    /// <summary>
    /// The requirements of the operation's security that admit a request with these headers, as a proxy that
    /// validates calls against the contract reads them (Stoplight Prism's rules): http bearer, oauth2 and
    /// openIdConnect need 'Authorization: Bearer …'; http basic 'Authorization: Basic' and the base64 of
    /// 'user:password'; another http scheme its own name; an apiKey in a header that header. Each requirement is
    /// named by its schemes joined with '+'. The anonymous requirement ({}), which admits anything, is left out.
    /// </summary>
    public List<string> RequirementsAdmitting(ContractOperation operation, IReadOnlyDictionary<string, string> headers)
    {
        var security = operation.Node.TryGetProperty("security", out var own) ? own : _root.TryGetProperty("security", out var global) ? global : default;
        var schemes = _root.GetProperty("components").GetProperty("securitySchemes");
        var sent = new Dictionary<string, string>(headers, StringComparer.OrdinalIgnoreCase);
        return [.. (security.ValueKind == JsonValueKind.Array ? security.EnumerateArray() : [])
            .Select(requirement => requirement.EnumerateObject().Select(s => s.Name).ToList())
            .Where(names => names.Count > 0 && names.All(name => Admits(schemes.GetProperty(name), sent)))
            .Select(names => string.Join('+', names))];
    }

    private static bool Admits(JsonElement scheme, Dictionary<string, string> headers)
    {
        var authorization = headers.GetValueOrDefault("Authorization") ?? "";
        var space = authorization.IndexOf(' ', StringComparison.Ordinal);
        var (name, credentials) = space > 0 ? (authorization[..space], authorization[(space + 1)..].Trim()) : (authorization, "");
        switch (scheme.GetProperty("type").GetString())
        {
            case "apiKey":
                return scheme.GetProperty("in").GetString() == "header" && headers.ContainsKey(scheme.GetProperty("name").GetString()!);
            case "oauth2" or "openIdConnect":
                return name.Equals("Bearer", StringComparison.OrdinalIgnoreCase) && credentials.Length > 0;
            case "http" when scheme.GetProperty("scheme").GetString() is { } httpScheme && httpScheme.Equals("basic", StringComparison.OrdinalIgnoreCase):
                if (!name.Equals("Basic", StringComparison.OrdinalIgnoreCase))
                {
                    return false;
                }
                try
                {
                    return Encoding.UTF8.GetString(Convert.FromBase64String(credentials)).Split(':').Length == 2;
                }
                catch (FormatException)
                {
                    return false;
                }
            case "http":
                return name.Equals(scheme.GetProperty("scheme").GetString(), StringComparison.OrdinalIgnoreCase) && credentials.Length > 0;
            default:
                return false;
        }
    }

    /// <summary>Every way the response differs from what the operation documents; none when it matches.</summary>
    public List<string> Check(ContractOperation operation, HttpResponseMessage response, string body)
    {
        var status = ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture);
        var failures = new List<string>();
        if (!operation.Node.GetProperty("responses").TryGetProperty(status, out var declared))
        {
            return [$"{operation}: answered {status}, which the contract does not document. Body: {Shorten(body)}"];
        }
        var (documented, pointer) = Resolve(declared, $"{operation.Location}/responses/{status}");

        foreach (var header in documented.TryGetProperty("headers", out var headers) ? headers.EnumerateObject() : [])
        {
            var (definition, headerPointer) = Resolve(header.Value, $"{pointer}/headers/{Escape(header.Name)}");
            var values = response.Headers.TryGetValues(header.Name, out var sent) ? sent
                : response.Content.Headers.TryGetValues(header.Name, out var contentSent) ? contentSent : null;
            if (values is null)
            {
                if (definition.TryGetProperty("required", out var required) && required.GetBoolean())
                {
                    failures.Add($"{operation}: {status} lacks the required header {header.Name}.");
                }
                continue;
            }
            var value = string.Join(", ", values);
            var isInteger = definition.GetProperty("schema").TryGetProperty("type", out var type) && type.GetString() == "integer";
            JsonNode instance = isInteger && long.TryParse(value, CultureInfo.InvariantCulture, out var number) ? JsonValue.Create(number) : JsonValue.Create(value);
            failures.AddRange(Validate($"{headerPointer}/schema", instance).Select(e => $"{operation}: {status} header {header.Name} '{value}': {e}"));
        }

        if (!documented.TryGetProperty("content", out var content))
        {
            if (body.Length > 0)
            {
                failures.Add($"{operation}: {status} documents no body but has one: {Shorten(body)}");
            }
            return failures;
        }
        var mediaType = response.Content.Headers.ContentType?.MediaType;
        if (mediaType is null || !content.TryGetProperty(mediaType, out _))
        {
            failures.Add($"{operation}: {status} is {mediaType ?? "without a content type"}, documented as {string.Join(" or ", content.EnumerateObject().Select(c => c.Name))}.");
            return failures;
        }
        JsonNode? parsed;
        try
        {
            parsed = JsonNode.Parse(body);
        }
        catch (JsonException ex)
        {
            failures.Add($"{operation}: {status} is not JSON ({ex.Message}): {Shorten(body)}");
            return failures;
        }
        failures.AddRange(Validate($"{pointer}/content/{Escape(mediaType)}/schema", parsed).Select(e => $"{operation}: {status} body {e}"));
        return failures;
    }

    /// <summary>Each example in the document against the schema beside it: an example that lies fails here.</summary>
    public List<string> CheckExamples()
    {
        var failures = new List<string>();
        Walk(_root, "");
        return failures;

        void Walk(JsonElement node, string pointer)
        {
            if (node.ValueKind == JsonValueKind.Array)
            {
                var index = 0;
                foreach (var item in node.EnumerateArray())
                {
                    Walk(item, $"{pointer}/{index++}");
                }
                return;
            }
            if (node.ValueKind != JsonValueKind.Object)
            {
                return;
            }
            // A media type, parameter or header: its example against its schema.
            if (node.TryGetProperty("example", out var example) && node.TryGetProperty("schema", out _))
            {
                failures.AddRange(Validate($"{pointer}/schema", JsonNode.Parse(example.GetRawText())).Select(e => $"{pointer}/example: {e}"));
            }
            // A schema: each of its examples against itself.
            if (IsSchemaPointer(pointer) && node.TryGetProperty("examples", out var examples) && examples.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in examples.EnumerateArray())
                {
                    failures.AddRange(Validate(pointer, JsonNode.Parse(item.GetRawText())).Select(e => $"{pointer}/examples: {e}"));
                }
            }
            foreach (var property in node.EnumerateObject())
            {
                Walk(property.Value, $"{pointer}/{Escape(property.Name)}");
            }
        }
    }

    /// <summary>The errors of the instance against the schema at the pointer; none when it is valid.</summary>
    public IEnumerable<string> Validate(string schemaPointer, JsonNode? instance)
    {
        if (!_schemas.TryGetValue(schemaPointer, out var schema))
        {
            var reference = new JsonObject { ["$ref"] = $"{BaseUri}#{EncodeFragment(schemaPointer)}" };
            schema = _schemas[schemaPointer] = JsonSchema.Build(JsonSerializer.SerializeToElement(reference), _build);
        }
        var element = instance is null ? JsonSerializer.SerializeToElement<object?>(null) : JsonSerializer.SerializeToElement(instance);
        var result = schema.Evaluate(element, Evaluation);
        if (result.IsValid)
        {
            return [];
        }
        return (result.Details ?? []).Where(d => d.Errors is { Count: > 0 })
            .SelectMany(d => d.Errors!.Select(e => $"at '{d.InstanceLocation}' ({d.EvaluationPath}): {e.Value}"))
            .DefaultIfEmpty("does not match its schema.");
    }

    private JsonElement At(string pointer)
    {
        var node = _root;
        foreach (var segment in pointer.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            var name = segment.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
            node = node.ValueKind == JsonValueKind.Array ? node[int.Parse(name, CultureInfo.InvariantCulture)] : node.GetProperty(name);
        }
        return node;
    }

    // Where JSON Schema begins: below it, $ref is a schema's own and is left to the validator.
    private static bool IsSchemaPointer(string pointer) =>
        pointer.StartsWith("/components/schemas/", StringComparison.Ordinal) || pointer.EndsWith("/schema", StringComparison.Ordinal) ||
        pointer.Contains("/schema/", StringComparison.Ordinal);

    public static string Escape(string name) => name.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal);

    private static string EncodeFragment(string pointer) =>
        string.Join('/', pointer.Split('/').Select(Uri.EscapeDataString));

    private static string Shorten(string text) => text.Length <= 300 ? text : text[..300] + "…";
}
