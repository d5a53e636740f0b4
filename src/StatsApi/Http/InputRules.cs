using System.Collections;
using System.Collections.Concurrent;
using System.ComponentModel.DataAnnotations;
using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;

namespace StatsApi.Http;

/// <summary>
/// Checks a request body against the validation attributes on its properties: the same attributes the
/// OpenAPI document reads, so each input rule is written once (decision 0016). A field that breaks a rule
/// gets one message: the failing attribute's ErrorMessage, else the first ErrorMessage on the property.
/// The object's own attributes and IValidatableObject relate fields to each other; they run once every
/// field of the object passes on its own, so they may assume well-formed values.
/// </summary>
internal static class InputRules
{
    private sealed record Field(PropertyInfo Property, string Name, ValidationAttribute[] Rules, string? Message, Type? ItemType);

    private static readonly ConcurrentDictionary<Type, Field[]> FieldsOf = new();

    /// <summary>The errors per field, in the order the fields are declared; empty when the body is valid.</summary>
    public static Dictionary<string, string[]> Check(object body)
    {
        var errors = new Dictionary<string, string[]>();
        var order = new Dictionary<string, int>();
        CheckObject(body.GetType(), body, "", errors, order);
        return errors.OrderBy(e => order.GetValueOrDefault(e.Key, int.MaxValue)).ToDictionary();
    }

    /// <summary>True, with the 400 that names each broken field, when <paramref name="body"/> breaks a rule.</summary>
    public static bool Refuses(object body, [NotNullWhen(true)] out ValidationProblem? refusal)
    {
        var errors = Check(body);
        refusal = errors.Count > 0 ? Problems.Validation(errors) : null;
        return refusal is not null;
    }

    /// <summary>The names a client sends, in declaration order.</summary>
    public static IEnumerable<string> FieldNames(Type type) => Fields(type).Select(f => f.Name);

    private static void CheckObject(Type type, object? instance, string prefix, Dictionary<string, string[]> errors, Dictionary<string, int> order)
    {
        // A null element of a list is checked as an object whose fields are all missing.
        var context = instance is null ? null : new ValidationContext(instance);
        var fieldsPass = true;
        foreach (var field in Fields(type))
        {
            var key = prefix + field.Name;
            order.TryAdd(key, order.Count);
            var value = instance is null ? null : field.Property.GetValue(instance);
            if (field.Rules.FirstOrDefault(rule => !Passes(rule, value, context, field)) is { } broken)
            {
                errors[key] = [broken.ErrorMessage ?? field.Message
                    ?? throw new InvalidOperationException($"{type.Name}.{field.Property.Name} has rules but no ErrorMessage to answer with.")];
                fieldsPass = false;
            }
            else if (field.ItemType is { } itemType && value is IEnumerable items)
            {
                var index = 0;
                foreach (var item in items)
                {
                    CheckObject(itemType, item, $"{key}[{index++}].", errors, order);
                }
            }
        }
        if (!fieldsPass || instance is null)
        {
            return;
        }
        var whole = prefix.Length == 0 ? "body" : prefix.TrimEnd('.');
        foreach (var rule in type.GetCustomAttributes<ValidationAttribute>())
        {
            if (rule.GetValidationResult(instance, context!) is { ErrorMessage: { } message })
            {
                errors.TryAdd(whole, [message]);
            }
        }
        if (instance is IValidatableObject related)
        {
            foreach (var result in related.Validate(context!))
            {
                foreach (var member in result.MemberNames.DefaultIfEmpty(""))
                {
                    errors.TryAdd(member.Length == 0 ? whole : prefix + member, [result.ErrorMessage ?? ""]);
                }
            }
        }
    }

    private static bool Passes(ValidationAttribute rule, object? value, ValidationContext? context, Field field)
    {
        if (context is null)
        {
            return rule.IsValid(value);
        }
        context.MemberName = field.Property.Name;
        return rule.GetValidationResult(value, context) == ValidationResult.Success;
    }

    private static Field[] Fields(Type type) => FieldsOf.GetOrAdd(type, static type =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetMethod is not null && p.GetIndexParameters().Length == 0 && p.GetCustomAttribute<JsonIgnoreAttribute>() is null)
            .OrderBy(p => p.MetadataToken)
            .Select(p =>
            {
                var rules = p.GetCustomAttributes<ValidationAttribute>().ToArray();
                return new Field(p, p.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name ?? JsonNamingPolicy.SnakeCaseLower.ConvertName(p.Name),
                    rules, rules.Select(r => r.ErrorMessage).FirstOrDefault(m => m is not null), ItemType(p.PropertyType));
            })
            .ToArray());

    // Lists of objects are checked element by element; lists of strings or numbers only as a whole.
    private static Type? ItemType(Type type) =>
        type == typeof(string) ? null
        : type.GetInterfaces().Append(type)
            .FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>))?.GetGenericArguments()[0] is { IsClass: true } item
            && item != typeof(string) ? item : null;
}
