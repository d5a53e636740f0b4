using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Dapper;
using Microsoft.AspNetCore.Routing;
using StatsApi.Tests.Infrastructure;
using StatsApi.Clients;
using StatsApi.Tokens;

namespace StatsApi.Tests;

/// <summary>
/// Every operation of openapi.yaml, called on the running service with the document's own examples (ids
/// adjusted to the test database), answers as the document says: a documented status, its headers, and a
/// body that its schema validates. An endpoint the document lacks, or an operation without an entry here, fails.
/// </summary>
public partial class OperationContractTests(StatsApiFactory app) : IClassFixture<StatsApiFactory>
{
    private const string School = "oakwood-primary";
    private static readonly ContractDocument Contract = ContractDocument.Load();

    // Served by the host rather than described: the health probes and the document itself.
    private static readonly string[] Undocumented = ["ANY /health/live", "ANY /health/ready", "GET /openapi/{documentName}.json", "GET /openapi/{documentName}.yaml"];

    private enum Caller { Anonymous, Application, Admin, Teacher }

    /// <summary>One call of an operation: who makes it, and how the document's example is adjusted to this database.</summary>
    private sealed record Entry(string OperationId, Caller Caller = Caller.Application)
    {
        public Func<Run, Dictionary<string, string>>? Path { get; init; }
        public string[] Optional { get; init; } = [];
        public Func<Run, Dictionary<string, string>>? Query { get; init; }
        public Func<Run, JsonNode, JsonNode>? Body { get; init; }
        public string? Form { get; init; }
        public Func<Run, Dictionary<string, string>>? Headers { get; init; }
        public Action<Run, HttpResponseMessage, JsonNode?>? After { get; init; }
    }

    /// <summary>What the entries share: the callers, real ids from the database, and what earlier entries made.</summary>
    private sealed class Run
    {
        public required Dictionary<Caller, HttpClient> Clients { get; init; }
        public required ClientCredentials Application { get; init; }
        public required Dictionary<string, string> Ids { get; init; }
        public required long[] Enrolled { get; init; }
        public Dictionary<string, string> Values { get; } = [];
    }

    private static readonly Entry[] Entries =
    [
        new("IssueToken", Caller.Anonymous)
        {
            Form = "application/x-www-form-urlencoded",
            Headers = run => new() { ["Authorization"] = Basic(run.Application) },
        },
        new("IssueTokenEdx", Caller.Anonymous)
        {
            Body = (_, example) => new JsonObject { ["grant_type"] = example["grant_type"]!.DeepClone(), ["token_type"] = "jwt" },
            Headers = run => new() { ["Authorization"] = Basic(run.Application) },
        },
        new("IssueTokenEdxClient", Caller.Anonymous)
        {
            Body = (_, example) => new JsonObject { ["grant_type"] = example["grant_type"]!.DeepClone(), ["token_type"] = "jwt" },
            Headers = run => new() { ["Authorization"] = Basic(run.Application) },
        },
        new("GetJwks", Caller.Anonymous),
        new("GetOpenIdConfiguration", Caller.Anonymous),
        new("GetAuthorizationServerMetadata", Caller.Anonymous),
        new("GetAttendanceSummary") { Optional = ["group_by"] },
        new("ListSchools"),
        new("GetSchool"),
        new("ListUsers") { Optional = ["limit"] },
        new("CreateUser") { After = (run, _, body) => run.Values["user_id"] = $"{body!["user_id"]}" },
        new("GetUser") { Path = run => new() { ["user_id"] = run.Values["user_id"] }, After = KeepETag("user") },
        new("UpdateUser") { Path = run => new() { ["user_id"] = run.Values["user_id"] }, Headers = IfMatch("user") },
        new("ExportPerson") { Path = run => new() { ["user_id"] = run.Values["user_id"] } },
        new("ListDisclosures") { Path = run => new() { ["user_id"] = run.Values["user_id"] } },
        new("ErasePerson") { Path = run => new() { ["user_id"] = run.Values["user_id"] } },
        new("ListCourses"),
        new("CreateCourse")
        {
            Body = (run, example) => With(example, "teacher_id", run.Ids["teacher_id"]),
            After = (run, _, body) => run.Values["course_id"] = $"{body!["course_id"]}",
        },
        new("GetCourse") { Path = run => new() { ["course_id"] = run.Values["course_id"] }, After = KeepETag("course") },
        new("UpdateCourse") { Path = run => new() { ["course_id"] = run.Values["course_id"] }, Headers = IfMatch("course") },
        new("ListEnrolments"),
        new("Enrol") { Path = run => new() { ["course_id"] = run.Values["course_id"] } },
        new("Unenrol") { Path = run => new() { ["course_id"] = run.Values["course_id"] } },
        new("ListLessons") { Optional = ["course_id", "from", "to"] },
        new("CreateLesson")
        {
            Body = (run, example) => With(example, "course_id", run.Ids["course_id"]),
            Headers = _ => new() { ["Idempotency-Key"] = Guid.NewGuid().ToString() },
            After = (run, _, body) => run.Values["lesson_id"] = $"{body!["lesson_id"]}",
        },
        new("GetLesson") { Path = NewLesson, After = KeepETag("lesson") },
        new("UpdateLesson") { Path = NewLesson, Headers = IfMatch("lesson"), After = KeepETag("lesson") },
        new("RecordAttendance")
        {
            Path = NewLesson,
            Body = (run, example) =>
            {
                var marks = example["marks"]!.AsArray();
                for (var i = 0; i < marks.Count; i++)
                {
                    marks[i]!["student_id"] = run.Enrolled[i];
                }
                return example;
            },
        },
        new("ListLessonAttendance") { Path = NewLesson },
        new("GetMark") { Path = NewLesson, After = KeepETag("mark") },
        new("CorrectMark") { Path = NewLesson, Headers = IfMatch("mark"), After = KeepETag("mark") },
        new("DeleteMark") { Path = NewLesson, Headers = IfMatch("mark") },
        new("DeleteLesson") { Path = NewLesson, Query = _ => new() { ["cascade"] = "true" }, Headers = IfMatch("lesson") },
        new("ListStudentAttendance") { Optional = ["from", "to"] },
        // One row: a line of NDJSON is a JSON document of the row's schema.
        new("ExportAttendance") { Query = _ => new() { ["from"] = "2026-09-07", ["to"] = "2026-09-07", ["limit"] = "1" } },
        new("ListChanges"),
        new("AvailableChanges"),
        new("CreateUsersApiToken")
        {
            Path = run => new() { ["user_id"] = run.Ids["teacher_id"] },
            After = (run, _, body) => (run.Values["token_id"], run.Values["api_token"]) = ($"{body!["token_id"]}", $"{body["token"]}"),
        },
        new("ListUsersApiTokens") { Path = run => new() { ["user_id"] = run.Ids["teacher_id"] } },
        new("RegenerateUsersApiToken")
        {
            Path = run => new() { ["user_id"] = run.Ids["teacher_id"], ["token_id"] = run.Values["token_id"] },
            After = (run, _, body) => (run.Values["token_id"], run.Values["api_token"]) = ($"{body!["token_id"]}", $"{body["token"]}"),
        },
        // The API-token exchange: the teacher's token from here on acts for them.
        new("IssueToken", Caller.Anonymous)
        {
            Headers = run => new() { ["client_secret"] = run.Application.ClientSecret, ["Authorization"] = $"Basic {run.Values["api_token"]}" },
            After = (run, _, body) =>
            {
                var teacher = run.Clients[Caller.Teacher];
                teacher.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", $"{body!["access_token"]}");
                teacher.DefaultRequestHeaders.Remove("client_secret");
                teacher.DefaultRequestHeaders.Add("client_secret", run.Application.ClientSecret);
            },
        },
        new("ListMyApiTokens", Caller.Teacher),
        new("CreateMyApiToken", Caller.Teacher) { After = (run, _, body) => run.Values["my_token_id"] = $"{body!["token_id"]}" },
        new("RegenerateMyApiToken", Caller.Teacher)
        {
            Path = run => new() { ["token_id"] = run.Values["my_token_id"] },
            After = (run, _, body) => run.Values["my_token_id"] = $"{body!["token_id"]}",
        },
        new("DeleteMyApiToken", Caller.Teacher) { Path = run => new() { ["token_id"] = run.Values["my_token_id"] } },
        new("DeleteUsersApiToken") { Path = run => new() { ["user_id"] = run.Ids["teacher_id"], ["token_id"] = run.Values["token_id"] } },
        new("ListClients", Caller.Admin),
        new("RegisterClient", Caller.Admin) { After = (run, _, body) => run.Values["client_id"] = $"{body!["client_id"]}" },
        new("GetClient", Caller.Admin) { Path = NewClient },
        new("UpdateClient", Caller.Admin) { Path = NewClient },
        new("RotateClientSecret", Caller.Admin) { Path = NewClient },
        new("RevokeClient", Caller.Admin) { Path = NewClient },
    ];

    [Fact]
    public void EveryEndpointIsAnOperationOfTheContractAndEveryOperationHasAnEntry()
    {
        var served = app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            // The developer portal's pages and the API documentation page's script are for people in a browser, not operations of the API.
            .Where(e => !e.RoutePattern.RawText!.TrimStart('/').StartsWith("portal", StringComparison.Ordinal) &&
                        !e.RoutePattern.RawText!.TrimStart('/').StartsWith("api-docs", StringComparison.Ordinal))
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["ANY"]).Select(m =>
                $"{m} /{RouteConstraint().Replace(e.RoutePattern.RawText!.TrimStart('/'), "}").TrimEnd('/')}"))
            .Except(Undocumented).Order().ToList();
        var documented = Contract.Operations.Select(o => $"{o.Method} {o.Path}").Order().ToList();

        Assert.Equal(documented, served);
        Assert.Empty(Contract.Operations.Select(o => o.Id).Except(Entries.Select(e => e.OperationId)));
    }

    [Fact]
    public void EveryExampleInTheContractMatchesItsSchema()
    {
        AssertNone(Contract.CheckExamples());
    }

    [Fact]
    public async Task EveryOperationAnswersItsExampleAsTheContractSays()
    {
        var run = await StartAsync();
        var failures = new List<string>();
        foreach (var entry in Entries)
        {
            var operation = Contract[entry.OperationId];
            var (response, body) = await SendAsync(run, entry, operation);
            if (!response.IsSuccessStatusCode)
            {
                failures.Add($"{operation}: answered {(int)response.StatusCode} to its example: {body}");
                continue;
            }
            failures.AddRange(Contract.Check(operation, response, body));
            entry.After?.Invoke(run, response, body.Length > 0 ? JsonNode.Parse(body) : null);
        }
        AssertNone(failures);
    }

    [Fact]
    public async Task EveryProtectedOperationRefusesAMissingTokenAsTheContractSays()
    {
        var run = await StartAsync();
        var failures = new List<string>();
        foreach (var operation in Contract.Operations.Where(o => !o.IsPublic))
        {
            var entry = Entries.First(e => e.OperationId == operation.Id) with { Caller = Caller.Anonymous, Path = null, Headers = null };
            failures.AddRange(await ExpectAsync(run, entry, operation, HttpStatusCode.Unauthorized));
        }
        AssertNone(failures);
    }

    [Fact]
    public async Task TheTokenEndpointsRefuseAWrongSecretAsTheContractSays()
    {
        var run = await StartAsync();
        var failures = new List<string>();
        foreach (var operation in Contract.Operations.Where(o => o.Path.StartsWith("/oauth", StringComparison.Ordinal)))
        {
            var entry = new Entry(operation.Id, Caller.Anonymous)
            {
                Form = "application/x-www-form-urlencoded",
                Headers = r => new() { ["Authorization"] = StatsApiFactory.BasicAuth(r.Application.Client.ClientId, "not-the-secret").ToString() },
            };
            failures.AddRange(await ExpectAsync(run, entry, operation, HttpStatusCode.Unauthorized));
        }
        AssertNone(failures);
    }

    [Fact]
    public async Task EveryOperationRefusesATokenWithoutItsScopeAsTheContractSays()
    {
        var run = await StartAsync();
        var failures = new List<string>();
        foreach (var operation in Contract.Operations.Where(o => !o.IsPublic))
        {
            // An admin token holds no school scope, an application's no admin scope, and neither acts for a person.
            var caller = operation.Path.StartsWith("/v1/admin/", StringComparison.Ordinal) ? Caller.Application : Caller.Admin;
            var entry = Entries.First(e => e.OperationId == operation.Id) with { Caller = caller, Path = null, Headers = null };
            failures.AddRange(await ExpectAsync(run, entry, operation, HttpStatusCode.Forbidden));
        }
        AssertNone(failures);
    }

    [Fact]
    public async Task EveryOperationOnAMissingIdAnswers404AsTheContractSays()
    {
        var run = await StartAsync();
        var failures = new List<string>();
        foreach (var operation in Contract.Operations.Where(o => o.Documents(404)))
        {
            // Every id the operation names, in its path or as a filter, names nothing.
            var filters = operation.Parameters(Contract).Where(p => p.GetProperty("in").GetString() == "query")
                .Select(p => p.GetProperty("name").GetString()!).Where(n => n.EndsWith("_id", StringComparison.Ordinal) && n != "school_id").ToArray();
            var ids = Ids(operation).Where(n => n != "school_id").ToArray();
            if (ids.Length == 0 && filters.Length == 0)
            {
                continue;
            }
            var entry = Entries.First(e => e.OperationId == operation.Id) with
            {
                Caller = operation.Path.StartsWith("/v1/me/", StringComparison.Ordinal) ? Caller.Teacher
                    : operation.Path.StartsWith("/v1/admin/", StringComparison.Ordinal) ? Caller.Admin : Caller.Application,
                Path = _ => ids.ToDictionary(n => n, _ => "999999999"),
                Query = _ => filters.ToDictionary(n => n, _ => "999999999"),
                Headers = null,
            };
            failures.AddRange(await ExpectAsync(run, entry, operation, HttpStatusCode.NotFound));
        }
        AssertNone(failures);
    }

    [Fact]
    public async Task EveryJsonBodyRefusesMalformedJsonAndOtherMediaTypesAsTheContractSays()
    {
        var run = await StartAsync();
        var failures = new List<string>();
        foreach (var operation in Contract.Operations.Where(o => o.HasJsonBody && o.Documents(415)))
        {
            var entry = Entries.First(e => e.OperationId == operation.Id) with { Path = null, Headers = null };
            var malformed = await SendAsync(run, entry, operation, new StringContent("{\"", Encoding.UTF8, "application/json"));
            var plain = await SendAsync(run, entry, operation, new StringContent("{}", Encoding.UTF8, "text/plain"));
            failures.AddRange(Expect(operation, malformed, HttpStatusCode.BadRequest));
            failures.AddRange(Expect(operation, plain, HttpStatusCode.UnsupportedMediaType));
        }
        AssertNone(failures);
    }

    [Fact]
    public async Task AnAnswerThatDiffersFromTheContractFailsTheCheck()
    {
        var operation = Contract["GetLesson"];

        static HttpResponseMessage Answer(HttpStatusCode status, string body, bool withHeaders = true)
        {
            var response = new HttpResponseMessage(status) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            if (withHeaders)
            {
                response.Headers.Add("X-Request-Id", "0af7651916cd43dd8448eb211c80319c");
                response.Headers.ETag = new EntityTagHeaderValue("\"v1\"");
            }
            return response;
        }
        var good = """{"lesson_id":318,"school_id":"oakwood-primary","course_id":1,"teacher_id":2,"starts_at":"2026-09-07T07:50:00+00:00","ends_at":"2026-09-07T08:40:00+00:00","room":"M1","marks":20,"created_at":"2026-08-20T09:12:44Z","updated_at":"2026-08-20T09:12:44Z"}""";

        Assert.Empty(Contract.Check(operation, Answer(HttpStatusCode.OK, good), good));
        Assert.NotEmpty(Contract.Check(operation, Answer(HttpStatusCode.OK, good.Replace("\"marks\":20", "\"marks\":\"20\"", StringComparison.Ordinal)), good.Replace("\"marks\":20", "\"marks\":\"20\"", StringComparison.Ordinal)));
        Assert.NotEmpty(Contract.Check(operation, Answer(HttpStatusCode.OK, good.Replace(",\"room\":\"M1\"", "", StringComparison.Ordinal)), good.Replace(",\"room\":\"M1\"", "", StringComparison.Ordinal)));
        Assert.NotEmpty(Contract.Check(operation, Answer(HttpStatusCode.OK, good, withHeaders: false), good));
        Assert.NotEmpty(Contract.Check(operation, Answer(HttpStatusCode.Accepted, good), good));
    }

    private async Task<Run> StartAsync()
    {
        await using var connection = await app.DataSource.OpenConnectionAsync();
        var (courseId, teacherId) = await connection.QueryFirstAsync<(long, long)>(
            "select course_id, teacher_id from courses where school_id = @School and teacher_id is not null order by course_id", new { School });
        var enrolled = (await connection.QueryAsync<long>(
            "select student_id from enrolments where school_id = @School and course_id = @courseId order by student_id", new { School, courseId })).ToArray();
        var lessonId = await connection.QueryFirstAsync<long>(
            "select lesson_id from lessons where school_id = @School and course_id = @courseId order by starts_at", new { School, courseId });

        var application = await app.CreateClientAsync([School], [.. Scopes.All.Where(s => s != Scopes.Admin)]);
        var admin = await app.CreateClientAsync([School], [Scopes.Admin]);
        var clients = new Dictionary<Caller, HttpClient>
        {
            [Caller.Anonymous] = app.CreateClient(),
            [Caller.Application] = app.CreateClient(),
            [Caller.Admin] = app.CreateClient(),
        };
        clients[Caller.Application].DefaultRequestHeaders.Authorization = new("Bearer", await app.GetTokenAsync(application));
        clients[Caller.Admin].DefaultRequestHeaders.Authorization = new("Bearer", await app.GetTokenAsync(admin));
        // A teacher of each run's own, since a person holds few API tokens.
        var person = await clients[Caller.Application].PostAsJsonAsync($"/v1/schools/{School}/users", new { role = "teacher", given_name = "Sam", family_name = "Example" });
        clients[Caller.Teacher] = await app.ActAsAsync(School, (await person.JsonAsync()).GetProperty("user_id").GetInt64());
        return new Run
        {
            Clients = clients,
            Application = application,
            Enrolled = enrolled,
            Ids = new()
            {
                ["school_id"] = School,
                ["course_id"] = $"{courseId}",
                ["teacher_id"] = $"{teacherId}",
                ["student_id"] = $"{enrolled[0]}",
                ["lesson_id"] = $"{lessonId}",
                ["user_id"] = $"{teacherId}",
                ["token_id"] = "1",
                ["client_id"] = admin.Client.ClientId,
            },
        };
    }

    private static async Task<(HttpResponseMessage Response, string Body)> SendAsync(Run run, Entry entry, ContractOperation operation, HttpContent? content = null)
    {
        var ids = new Dictionary<string, string>(run.Ids);
        foreach (var (name, value) in entry.Path?.Invoke(run) ?? [])
        {
            ids[name] = value;
        }
        var path = Regex.Replace(operation.Path, "{([a-z_]+)}", m => Uri.EscapeDataString(ids[m.Groups[1].Value]));
        var given = entry.Query?.Invoke(run) ?? [];
        var query = operation.Parameters(Contract)
            .Where(p => p.GetProperty("in").GetString() == "query" && !given.ContainsKey(p.GetProperty("name").GetString()!))
            .Where(p => p.TryGetProperty("required", out var required) && required.GetBoolean() || entry.Optional.Contains(p.GetProperty("name").GetString()))
            .Select(p => (Name: p.GetProperty("name").GetString()!, Value: ContractDocument.ExampleOf(p)))
            .Select(p => $"{p.Name}={Uri.EscapeDataString(ids.GetValueOrDefault(p.Name) is { } id && p.Name.EndsWith("_id", StringComparison.Ordinal) ? id : Text(p.Value))}");
        query = query.Concat(given.Select(q => $"{q.Key}={Uri.EscapeDataString(q.Value)}"));
        var request = new HttpRequestMessage(new HttpMethod(operation.Method), $"{path}{(query.Any() ? "?" : "")}{string.Join('&', query)}");
        if (content is not null)
        {
            request.Content = content;
        }
        else if (entry.Form is { } form)
        {
            var fields = Contract.ExampleBody(operation, form).AsObject().Select(f => new KeyValuePair<string, string>(f.Key, Text(f.Value)));
            request.Content = new FormUrlEncodedContent(fields);
        }
        else if (operation.HasJsonBody && (entry.Body is not null || operation.Node.GetProperty("requestBody").TryGetProperty("required", out _)))
        {
            var example = Contract.ExampleBody(operation, "application/json");
            var body = entry.Body?.Invoke(run, example) ?? example;
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        }
        foreach (var (name, value) in entry.Headers?.Invoke(run) ?? [])
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
        var response = await run.Clients[entry.Caller].SendAsync(request);
        return (response, await response.Content.ReadAsStringAsync());
    }

    private static async Task<List<string>> ExpectAsync(Run run, Entry entry, ContractOperation operation, HttpStatusCode status) =>
        Expect(operation, await SendAsync(run, entry, operation), status);

    private static List<string> Expect(ContractOperation operation, (HttpResponseMessage Response, string Body) answer, HttpStatusCode status) =>
        answer.Response.StatusCode != status
            ? [$"{operation}: expected {(int)status}, answered {(int)answer.Response.StatusCode}: {answer.Body}"]
            : Contract.Check(operation, answer.Response, answer.Body);

    private static void AssertNone(List<string> failures) =>
        Assert.True(failures.Count == 0, $"{failures.Count} differences from openapi.yaml:\n{string.Join("\n", failures)}");

    private static IEnumerable<string> Ids(ContractOperation operation) =>
        Regex.Matches(operation.Path, "{([a-z_]+)}").Select(m => m.Groups[1].Value);

    private static Dictionary<string, string> NewLesson(Run run) => new() { ["lesson_id"] = run.Values["lesson_id"], ["student_id"] = $"{run.Enrolled[0]}" };

    private static Dictionary<string, string> NewClient(Run run) => new() { ["client_id"] = run.Values["client_id"] };

    private static Action<Run, HttpResponseMessage, JsonNode?> KeepETag(string what) =>
        (run, response, _) => run.Values[$"etag:{what}"] = response.Headers.ETag!.ToString();

    private static Func<Run, Dictionary<string, string>> IfMatch(string what) => run => new() { ["If-Match"] = run.Values[$"etag:{what}"] };

    private static JsonNode With(JsonNode example, string field, string id)
    {
        example[field] = long.Parse(id, System.Globalization.CultureInfo.InvariantCulture);
        return example;
    }

    private static string Basic(ClientCredentials credentials) =>
        StatsApiFactory.BasicAuth(credentials.Client.ClientId, credentials.ClientSecret).ToString();

    private static string Text(JsonNode? value) => value is JsonValue v && v.TryGetValue<string>(out var text) ? text : value?.ToJsonString() ?? "";

    [GeneratedRegex(":[^}]*}")]
    private static partial Regex RouteConstraint();
}
