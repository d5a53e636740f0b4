using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using StatsApi.Tests.Infrastructure;

namespace StatsApi.Tests;

/// <summary>
/// What every JSON body of the contract must refuse, derived from openapi.yaml: a required field left out, a
/// field that admits no null sent as null, a key given twice; and what Accept and Idempotency-Key promise.
/// </summary>
public partial class OperationContractTests
{
    private static bool IsOAuth(ContractOperation operation) => operation.Path.StartsWith("/oauth", StringComparison.Ordinal);

    /// <summary>The entry to send a changed body with: its caller, and for the token endpoints its client authentication.</summary>
    private static Entry BodyEntry(ContractOperation operation)
    {
        var entry = Entries.First(e => e.OperationId == operation.Id);
        return IsOAuth(operation) ? entry with { Form = null } : entry with { Path = null, Headers = null };
    }

    private static JsonElement JsonMedia(ContractOperation operation) =>
        operation.Node.GetProperty("requestBody").GetProperty("content").GetProperty("application/json");

    private static JsonObject ValidBody(Run run, Entry entry, ContractOperation operation)
    {
        // An optional body's example is the media type's, its schema being "null or the type".
        var example = JsonMedia(operation).TryGetProperty("example", out var own) ? JsonNode.Parse(own.GetRawText())! : Contract.ExampleBody(operation, "application/json");
        return (entry.Body?.Invoke(run, example) ?? example).AsObject();
    }

    private static JsonElement BodySchema(ContractOperation operation)
    {
        var schema = JsonMedia(operation).GetProperty("schema");
        return schema.TryGetProperty("oneOf", out var alternatives) ? alternatives.EnumerateArray().Single(a => !AdmitsNull(a)) : schema;
    }

    private static StringContent JsonContent(string json) => new(json, Encoding.UTF8, "application/json");

    /// <summary>The schema of a request body, or of an array's items, with its $ref followed.</summary>
    private static JsonElement SchemaOf(JsonElement schema) => Contract.Resolve(schema, "").Node;

    private static bool AdmitsNull(JsonElement property) =>
        property.TryGetProperty("type", out var type) && (type.ValueKind == JsonValueKind.Array
            ? type.EnumerateArray().Any(t => t.GetString() == "null")
            : type.GetString() == "null");

    /// <summary>Each way to break the body: (the field named, the body without it or with it null).</summary>
    private static IEnumerable<(string Field, string What, JsonObject Body)> Breakages(JsonObject valid, JsonElement schema, string prefix = "")
    {
        schema = SchemaOf(schema);
        var required = schema.TryGetProperty("required", out var names) ? names.EnumerateArray().Select(n => n.GetString()!).ToHashSet() : [];
        foreach (var property in schema.TryGetProperty("properties", out var properties) ? properties.EnumerateObject() : [])
        {
            if (required.Contains(property.Name))
            {
                var without = valid.DeepClone().AsObject();
                without.Remove(property.Name);
                yield return (prefix + property.Name, "left out", without);
            }
            if (!AdmitsNull(property.Value))
            {
                var nulled = valid.DeepClone().AsObject();
                nulled[property.Name] = null;
                yield return (prefix + property.Name, "null", nulled);
            }
            // The first item of an array of objects breaks the same ways, named by its place.
            if (valid[property.Name] is JsonArray { Count: > 0 } items && items[0] is JsonObject first && property.Value.TryGetProperty("items", out var itemSchema))
            {
                foreach (var (field, what, broken) in Breakages(first, itemSchema, $"{prefix}{property.Name}[0]."))
                {
                    var body = valid.DeepClone().AsObject();
                    body[property.Name]![0] = broken;
                    yield return (field, what, body);
                }
            }
        }
    }

    private static async Task<List<string>> ExpectRefusalNamingAsync(Run run, Entry entry, ContractOperation operation, string json, string field, string what)
    {
        var (response, body) = await SendAsync(run, entry, operation, JsonContent(json));
        var failures = new List<string>();
        if (response.StatusCode != HttpStatusCode.BadRequest)
        {
            return [$"{operation}: {field} {what} answered {(int)response.StatusCode}, not 400: {body}"];
        }
        failures.AddRange(Contract.Check(operation, response, body));
        var parsed = JsonNode.Parse(body)!;
        var named = IsOAuth(operation)
            ? $"{parsed["error"]}" == "invalid_request" && $"{parsed["error_description"]}".Contains(field, StringComparison.Ordinal)
            : $"{parsed["error_code"]}" == "validation_failed" && parsed["errors"]?.AsObject().ContainsKey(field) == true;
        if (!named)
        {
            failures.Add($"{operation}: {field} {what} answered 400 without naming it: {body}");
        }
        return failures;
    }

    [Fact]
    public async Task EveryRequiredFieldLeftOutAndEveryFieldThatAdmitsNoNullSentNullIsRefusedNamingIt()
    {
        var run = await StartAsync();
        var failures = new List<string>();
        var checkedFields = 0;
        foreach (var operation in Contract.Operations.Where(o => o.HasJsonBody))
        {
            var entry = BodyEntry(operation);
            foreach (var (field, what, body) in Breakages(ValidBody(run, entry, operation), BodySchema(operation)))
            {
                checkedFields++;
                failures.AddRange(await ExpectRefusalNamingAsync(run, entry, operation, body.ToJsonString(), field, what));
            }
        }
        AssertNone(failures);
        Assert.True(checkedFields > 20, $"Only {checkedFields} fields were checked.");
    }

    [Fact]
    public async Task EveryJsonBodyRefusesAKeyGivenTwiceNamingItAndWritesNothing()
    {
        var run = await StartAsync();
        var failures = new List<string>();
        await using var connection = await app.DataSource.OpenConnectionAsync();
        var audited = await connection.ExecuteScalarAsync<long>("select count(*) from audit_events");
        foreach (var operation in Contract.Operations.Where(o => o.HasJsonBody))
        {
            var entry = BodyEntry(operation);
            var valid = ValidBody(run, entry, operation);
            var (first, value) = valid.First();
            var twice = $"{{\"{first}\":{value?.ToJsonString() ?? "null"},{valid.ToJsonString()[1..]}";
            failures.AddRange(await ExpectRefusalNamingAsync(run, entry, operation, twice, first, "given twice"));
            // A key twice inside an object of an array: a register's mark with two statuses.
            foreach (var (name, node) in valid)
            {
                if (node is JsonArray { Count: > 0 } items && items[0] is JsonObject item && item.Count > 0)
                {
                    var (inner, innerValue) = item.Last();
                    var itemTwice = $"{item.ToJsonString()[..^1]},\"{inner}\":{innerValue?.ToJsonString() ?? "null"}}}";
                    var body = valid.ToJsonString().Replace(item.ToJsonString(), itemTwice, StringComparison.Ordinal);
                    failures.AddRange(await ExpectRefusalNamingAsync(run, entry, operation, body, $"{name}[0].{inner}", "given twice"));
                }
            }
        }
        AssertNone(failures);
        Assert.Equal(audited, await connection.ExecuteScalarAsync<long>("select count(*) from audit_events"));
    }

    /// <summary>For each operation that takes an Idempotency-Key: a first request that writes, and the same request changed.</summary>
    private static readonly Dictionary<string, (Func<Run, JsonObject, JsonObject> First, Func<JsonObject, JsonObject> Changed)> ChangedRequests = new()
    {
        ["CreateUser"] = ((_, body) => Set(body, "email", $"u{Guid.NewGuid():N}@oakwood-primary.example"), body => Set(body, "family_name", "Changed")),
        ["CreateCourse"] = ((_, body) => Set(body, "code", $"C-{Guid.NewGuid():N}"[..12]), body => Set(body, "name", "Changed")),
        ["CreateLesson"] = ((_, body) => body, body => Set(body, "room", "Z9")),
        ["RecordAttendance"] = ((_, body) => body, body =>
        {
            body["marks"]![0]!["status"] = $"{body["marks"]![0]!["status"]}" == "absent" ? "present" : "absent";
            return body;
        }
        ),
        ["CreateMyApiToken"] = ((_, body) => body, body => Set(body, "name", "Changed")),
        ["CreateUsersApiToken"] = ((_, body) => body, body => Set(body, "name", "Changed")),
    };

    private static JsonObject Set(JsonObject body, string field, string value)
    {
        body[field] = value;
        return body;
    }

    [Fact]
    public async Task EveryIdempotentOperationRefusesItsKeyWithAnotherBody()
    {
        var run = await StartAsync();
        var failures = new List<string>();
        var idempotent = Contract.Operations.Where(o => o.Parameters(Contract).Any(p => p.GetProperty("name").GetString() == "Idempotency-Key")).ToList();
        Assert.Empty(idempotent.Where(o => o.HasJsonBody).Select(o => o.Id).Except(ChangedRequests.Keys));
        foreach (var operation in idempotent.Where(o => o.HasJsonBody))
        {
            var key = Guid.NewGuid().ToString();
            var (first, changed) = ChangedRequests[operation.Id];
            var entry = BodyEntry(operation) with { Headers = _ => new() { ["Idempotency-Key"] = key } };
            var body = first(run, ValidBody(run, entry, operation));
            var (applied, appliedBody) = await SendAsync(run, entry, operation, JsonContent(body.ToJsonString()));
            if (!applied.IsSuccessStatusCode)
            {
                failures.Add($"{operation}: the first request answered {(int)applied.StatusCode}: {appliedBody}");
                continue;
            }
            var (reused, reusedBody) = await SendAsync(run, entry, operation, JsonContent(changed(body).ToJsonString()));
            failures.AddRange(Expect(operation, (reused, reusedBody), HttpStatusCode.UnprocessableEntity));
            if (reused.StatusCode == HttpStatusCode.UnprocessableEntity && $"{JsonNode.Parse(reusedBody)!["error_code"]}" != "idempotency_key_reused")
            {
                failures.Add($"{operation}: 422 without idempotency_key_reused: {reusedBody}");
            }
        }
        // Regenerating names its token in the path: the same key for another token is another request.
        foreach (var operation in idempotent.Where(o => !o.HasJsonBody))
        {
            var entry = Entries.First(e => e.OperationId == operation.Id);
            var create = Contract.Operations.Single(o => o.Method == "POST" && o.Path == operation.Path[..operation.Path.IndexOf("/{token_id}", StringComparison.Ordinal)]);
            var createEntry = Entries.First(e => e.OperationId == create.Id) with { After = null };
            var tokens = new List<string>();
            for (var i = 0; i < 2; i++)
            {
                var (created, createdBody) = await SendAsync(run, createEntry, create);
                Assert.True(created.IsSuccessStatusCode, createdBody);
                tokens.Add($"{JsonNode.Parse(createdBody)!["token_id"]}");
            }
            var key = Guid.NewGuid().ToString();
            Entry Regenerate(string tokenId) => entry with
            {
                Path = r => new() { ["user_id"] = r.Ids["teacher_id"], ["token_id"] = tokenId },
                Headers = _ => new() { ["Idempotency-Key"] = key },
                After = null,
            };
            var (regenerated, regeneratedBody) = await SendAsync(run, Regenerate(tokens[0]), operation);
            Assert.True(regenerated.IsSuccessStatusCode, regeneratedBody);
            failures.AddRange(await ExpectAsync(run, Regenerate(tokens[1]), operation, HttpStatusCode.UnprocessableEntity));
        }
        AssertNone(failures);
    }

    [Fact]
    public async Task EveryOperationThatNeedsATokenAnswers406WhenAcceptAdmitsNoJson()
    {
        var run = await StartAsync();
        var failures = new List<string>();
        foreach (var operation in Contract.Operations.Where(o => !o.IsPublic))
        {
            var entry = Entries.First(e => e.OperationId == operation.Id);
            entry = entry with { Path = null, Headers = _ => new() { ["Accept"] = "text/html, application/xml;q=0.9" } };
            var answer = await SendAsync(run, entry, operation);
            failures.AddRange(Expect(operation, answer, HttpStatusCode.NotAcceptable));
            if (answer.Response.StatusCode == HttpStatusCode.NotAcceptable && $"{JsonNode.Parse(answer.Body)!["error_code"]}" != "not_acceptable")
            {
                failures.Add($"{operation}: 406 without not_acceptable: {answer.Body}");
            }
        }
        AssertNone(failures);

        var summary = Entries.First(e => e.OperationId == "GetAttendanceSummary");
        foreach (var (accept, status) in new[]
        {
            ("application/json", HttpStatusCode.OK), ("*/*", HttpStatusCode.OK), ("application/*", HttpStatusCode.OK),
            ("text/html, application/problem+json;q=0.1", HttpStatusCode.OK), ("text/html;q=0.9, */*;q=0.8", HttpStatusCode.OK),
            ("text/html", HttpStatusCode.NotAcceptable), ("application/json;q=0, text/html", HttpStatusCode.NotAcceptable),
        })
        {
            var (response, body) = await SendAsync(run, summary with { Headers = _ => new() { ["Accept"] = accept } }, Contract["GetAttendanceSummary"]);
            Assert.True(response.StatusCode == status, $"Accept: {accept} answered {(int)response.StatusCode}: {body}");
        }
    }
}
