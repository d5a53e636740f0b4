using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace StatsApi.Http;

/// <summary>
/// Names the field a request could not be bound from: a query, route or header value, or a place in the
/// JSON body. It reads what the framework knows in typed form (the JSON path, the body's contract, the
/// endpoint's parameters) rather than the wording of its messages.
/// </summary>
internal static class BindingFailure
{
    public static (string Field, string Message) Describe(BadHttpRequestException bad, HttpContext http)
    {
        if (bad.InnerException is JsonException json)
        {
            return DescribeJson(json, http);
        }
        return FailedParameter(http) ?? (BodyMissing(http) ? ("body", "body is required.") : ("body", bad.Message));
    }

    // The exception handler clears the endpoint and route values of the request it answers, and keeps them in its feature.
    private static Endpoint? EndpointOf(HttpContext http) => http.GetEndpoint() ?? http.Features.Get<IExceptionHandlerFeature>()?.Endpoint;

    private static RouteValueDictionary RouteValuesOf(HttpContext http) =>
        http.Features.Get<IExceptionHandlerFeature>()?.RouteValues ?? http.Request.RouteValues;

    private static bool BodyMissing(HttpContext http) =>
        EndpointOf(http)?.Metadata.GetMetadata<IAcceptsMetadata>() is { IsOptional: false }
        && http.Request.ContentLength is null or 0 && !http.Request.Headers.ContainsKey("Transfer-Encoding");

    private static (string Field, string Message) DescribeJson(JsonException json, HttpContext http)
    {
        var field = json.Path is null or "$" ? "body" : json.Path.StartsWith("$.", StringComparison.Ordinal) ? json.Path[2..] : json.Path;
        if (field == "body")
        {
            return (field, "The body must be a JSON object of the documented shape.");
        }
        if (UnknownMember(json.Path!, http) is { } unknown)
        {
            return (unknown, $"{unknown} is not a field of this request.");
        }
        // The one fact System.Text.Json gives only in words: a duplicate of a known field (AllowDuplicateProperties is off).
        return json.Message.StartsWith("Duplicate propert", StringComparison.Ordinal)
            ? (field, $"{field} is given more than once; send each field once.")
            : (field, $"{field} is missing a value or has one of the wrong type or format.");
    }

    /// <summary>The last name on the path when the body's contract has no such member there; null when every name is known.</summary>
    private static string? UnknownMember(string path, HttpContext http)
    {
        if (EndpointOf(http)?.Metadata.GetMetadata<IAcceptsMetadata>()?.RequestType is not { } bodyType)
        {
            return null;
        }
        var options = http.RequestServices.GetRequiredService<IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>().Value.SerializerOptions;
        var type = options.GetTypeInfo(bodyType);
        foreach (var step in Steps(path))
        {
            if (step is null)
            {
                type = type.ElementType is { } element ? options.GetTypeInfo(element) : type;
                continue;
            }
            if (type.Kind != JsonTypeInfoKind.Object)
            {
                return null;
            }
            if (type.Properties.FirstOrDefault(p => p.Name == step) is not { } property)
            {
                return step;
            }
            type = options.GetTypeInfo(property.PropertyType);
        }
        return null;
    }

    // "$.marks[0].status" as marks, (an index), status; a null step is an index into a list.
    private static IEnumerable<string?> Steps(string path)
    {
        foreach (var part in path.TrimStart('$').Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            var bracket = part.IndexOf('[', StringComparison.Ordinal);
            if (bracket != 0)
            {
                yield return bracket < 0 ? part : part[..bracket];
            }
            for (var i = 0; bracket >= 0 && i < part.Count(c => c == '['); i++)
            {
                yield return null;
            }
        }
    }

    private sealed record Input(string Name, Type Type, ICustomAttributeProvider Attributes, bool Optional);

    /// <summary>The first input, in the handler's order, whose route, query or header value is missing or does not parse.</summary>
    private static (string Field, string Message)? FailedParameter(HttpContext http)
    {
        if (EndpointOf(http) is not { } endpoint || endpoint.Metadata.GetMetadata<MethodInfo>() is not { } handler)
        {
            return null;
        }
        foreach (var input in handler.GetParameters().SelectMany(Inputs))
        {
            var field = JsonNamingPolicy.SnakeCaseLower.ConvertName(input.Name);
            var raw = RawValue(input, http, endpoint);
            if (StringValues.IsNullOrEmpty(raw))
            {
                if (!input.Optional)
                {
                    return (field, $"{field} is required.");
                }
                continue;
            }
            if (!Parses(input.Type, raw.ToString()))
            {
                return (field, $"{field} has a value of the wrong type or format: '{Truncate(raw.ToString())}'.");
            }
        }
        return null;
    }

    // The values the framework parses from text: a handler's own parameters and the properties of an [AsParameters] one.
    private static IEnumerable<Input> Inputs(ParameterInfo parameter)
    {
        if (parameter.GetCustomAttribute<AsParametersAttribute>() is not null)
        {
            return parameter.ParameterType.GetProperties(BindingFlags.Public | BindingFlags.Instance)
                .Where(p => p.CanWrite && IsParsed(p.PropertyType))
                .Select(p => new Input(p.Name, p.PropertyType, p, !p.PropertyType.IsValueType || Nullable.GetUnderlyingType(p.PropertyType) is not null));
        }
        return IsParsed(parameter.ParameterType) && parameter.Name is { } name
            ? [new Input(name, parameter.ParameterType, parameter,
                parameter.HasDefaultValue || !parameter.ParameterType.IsValueType || Nullable.GetUnderlyingType(parameter.ParameterType) is not null)]
            : [];
    }

    private static bool IsParsed(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        return type.IsEnum || type != typeof(string) && TryParseOf(type) is not null;
    }

    private static StringValues RawValue(Input input, HttpContext http, Endpoint endpoint)
    {
        var request = http.Request;
        var attributes = input.Attributes.GetCustomAttributes(inherit: true);
        if (attributes.OfType<IFromHeaderMetadata>().FirstOrDefault() is { } header)
        {
            return request.Headers[header.Name ?? input.Name];
        }
        if (attributes.OfType<IFromQueryMetadata>().FirstOrDefault() is { } query)
        {
            return request.Query[query.Name ?? input.Name];
        }
        var routeName = attributes.OfType<IFromRouteMetadata>().FirstOrDefault()?.Name ?? input.Name;
        if (endpoint is RouteEndpoint route && route.RoutePattern.GetParameter(routeName) is not null)
        {
            return RouteValuesOf(http)[routeName]?.ToString();
        }
        return request.Query[input.Name];
    }

    // The framework parses with the type's own TryParse, in the invariant culture where it takes one: so do we.
    private static bool Parses(Type type, string value)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type.IsEnum)
        {
            return Enum.TryParse(type, value, ignoreCase: true, out _);
        }
        return TryParseOf(type) is not { } tryParse || (bool)tryParse.Invoke(null,
            tryParse.GetParameters().Length == 3 ? [value, CultureInfo.InvariantCulture, null] : [value, null])!;
    }

    private static MethodInfo? TryParseOf(Type type) =>
        type.GetMethod("TryParse", BindingFlags.Public | BindingFlags.Static, [typeof(string), typeof(IFormatProvider), type.MakeByRefType()])
        ?? type.GetMethod("TryParse", BindingFlags.Public | BindingFlags.Static, [typeof(string), type.MakeByRefType()]);

    private static string Truncate(string value) => value.Length <= 40 ? value : value[..40] + "...";
}
