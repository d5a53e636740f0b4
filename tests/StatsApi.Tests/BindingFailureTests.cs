using System.Net;
using System.Text;
using StatsApi.Tests.Infrastructure;
using StatsApi.Tokens;

namespace StatsApi.Tests;

/// <summary>Input that cannot be bound (a body, a query value) or breaks a rule is a 400 problem naming each field at fault and saying why.</summary>
public class BindingFailureTests(StatsApiFactory app) : IClassFixture<StatsApiFactory>
{
    private const string Base = "/v1/schools/oakwood-primary";

    private Task<HttpClient> ClientAsync() =>
        app.CreateClientWithScopesAsync(["oakwood-primary"], Scopes.All.Where(s => s != Scopes.Admin).ToArray());

    public static TheoryData<string, string, string, string> BadBodies => new()
    {
        { "courses", """{"code":"ART-1",""", "body", "The body must be a JSON object of the documented shape." },
        { "courses", """{"code":7,"name":"Art"}""", "code", "code is missing a value or has one of the wrong type or format." },
        { "courses", """{"code":"ART-1","code":"ART-2","name":"Art"}""", "code", "code is given more than once; send each field once." },
        { "courses", """{"code":"ART-1","name":"Art","colour":"red"}""", "colour", "colour is not a field of this request." },
        { "lessons/1/attendance", """{"marks":[{"student_id":5,"status":"present","note":"ill"}]}""", "note", "note is not a field of this request." },
        { "lessons/1/attendance", """{"marks":[{"student_id":5,"status":["present"]}]}""", "marks[0].status", "marks[0].status is missing a value or has one of the wrong type or format." },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task ABodyThatDoesNotBindNamesTheField(string path, string json, string field, string message)
    {
        var client = await ClientAsync();

        var response = await client.PostAsync($"{Base}/{path}", new StringContent(json, Encoding.UTF8, "application/json"));

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        Assert.Equal(message, problem.GetProperty("errors").GetProperty(field)[0].GetString());
        Assert.Equal(message, problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task AnEmptyBodyIsNamedAsTheBodyInTheServicesOwnWords()
    {
        var client = await ClientAsync();

        var response = await client.PostAsync($"{Base}/courses", new StringContent("", Encoding.UTF8, "application/json"));

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        Assert.Equal("body is required.", problem.GetProperty("errors").GetProperty("body")[0].GetString());
    }

    [Theory]
    [InlineData("lessons?from=someday", "from", "from has a value of the wrong type or format: 'someday'.")]
    [InlineData("lessons?course_id=9999999999999999999999", "course_id", "course_id has a value of the wrong type or format: '9999999999999999999999'.")]
    [InlineData("users?active=maybe", "active", "active has a value of the wrong type or format: 'maybe'.")]
    [InlineData("courses?limit=ten", "limit", "limit has a value of the wrong type or format: 'ten'.")]
    public async Task AQueryValueThatDoesNotParseNamesTheParameter(string query, string field, string message)
    {
        var client = await ClientAsync();

        var problem = await (await client.GetAsync($"{Base}/{query}")).AssertProblemAsync(HttpStatusCode.BadRequest, "validation_failed");

        Assert.Equal(message, problem.GetProperty("errors").GetProperty(field)[0].GetString());
    }

    [Fact]
    public async Task EachBrokenRuleIsNamedOnceInTheOrderOfTheFields()
    {
        var client = await ClientAsync();
        var json = """{"course_id":0,"starts_at":"2026-09-07T09:00:00+00:00","ends_at":"2026-09-07T08:00:00+00:00","room":" "}""";

        var response = await client.PostAsync($"{Base}/lessons", new StringContent(json, Encoding.UTF8, "application/json"));

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        Assert.Equal(["course_id", "ends_at", "room"], problem.GetProperty("errors").EnumerateObject().Select(e => e.Name));
        Assert.Equal("One or more fields are invalid: course_id, ends_at, room.", problem.GetProperty("detail").GetString());
        Assert.Equal("ends_at must be after starts_at, and at most 12 hours later.", problem.GetProperty("errors").GetProperty("ends_at")[0].GetString());
    }

    [Fact]
    public async Task ARouteIdOutOfRangeIsAProblemNotAnError()
    {
        var client = await ClientAsync();

        var response = await client.GetAsync($"{Base}/lessons/99999999999999999999");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }
}
