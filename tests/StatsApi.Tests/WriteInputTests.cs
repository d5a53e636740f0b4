using System.Net;
using System.Text;
using Dapper;
using StatsApi.Tests.Infrastructure;
using StatsApi.Tokens;

namespace StatsApi.Tests;

/// <summary>Every write that takes a body answers bad bodies with a 4xx problem, and changes nothing.</summary>
public class WriteInputTests(StatsApiFactory app) : IClassFixture<StatsApiFactory>
{
    private const string School = "oakwood-primary";

    public static TheoryData<string, string> Writes => new()
    {
        { "POST", "users" },
        { "PATCH", "users/{student}" },
        { "POST", "courses" },
        { "PATCH", "courses/{course}" },
        { "PUT", "courses/{course}/enrolments/{student}" },
        { "POST", "lessons" },
        { "PATCH", "lessons/{lesson}" },
        { "POST", "lessons/{lesson}/attendance" },
        { "PATCH", "lessons/{lesson}/attendance/{student}" },
    };

    private async Task<string> PathAsync(string template)
    {
        await using var connection = await app.DataSource.OpenConnectionAsync();
        var (lesson, student, course) = await connection.QuerySingleAsync<(long, long, long)>("""
            select a.lesson_id, a.student_id, l.course_id from attendance_records a join lessons l using (school_id, lesson_id)
            where a.school_id = @School order by a.lesson_id, a.student_id limit 1
            """, new { School });
        return $"/v1/schools/{School}/" + template.Replace("{lesson}", $"{lesson}", StringComparison.Ordinal)
            .Replace("{student}", $"{student}", StringComparison.Ordinal).Replace("{course}", $"{course}", StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Writes))]
    public async Task BadBodiesAre4xxProblemsAndChangeNothing(string method, string template)
    {
        var client = await app.CreateClientWithScopesAsync([School], Scopes.All.Where(s => s != Scopes.Admin).ToArray());
        var path = await PathAsync(template);
        var before = await DatabaseSnapshot.TakeAsync(app.DataSource);

        var cases = new (HttpContent Content, HttpStatusCode Status)[]
        {
            (Json("""{"broken": """), HttpStatusCode.BadRequest),
            (Json("""["an", "array"]"""), HttpStatusCode.BadRequest),
            (Json("""{"not_a_field": 1}"""), HttpStatusCode.BadRequest),
            (Json("\"" + new string('x', 10 * 1024 * 1024) + "\""), HttpStatusCode.RequestEntityTooLarge),
            (new StringContent("status=present", Encoding.UTF8, "text/plain"), HttpStatusCode.UnsupportedMediaType),
        };
        foreach (var (content, status) in cases)
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = content };
            var response = await client.SendAsync(request);
            Assert.True(status == response.StatusCode, $"{method} {template}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }

        Assert.Equal(before, await DatabaseSnapshot.TakeAsync(app.DataSource));
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");
}
