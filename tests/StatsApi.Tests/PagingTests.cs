using System.Net;
using System.Net.Http.Json;
using Dapper;
using StatsApi.Tests.Infrastructure;
using StatsApi.Tokens;

namespace StatsApi.Tests;

public class PagingTests(StatsApiFactory app) : IClassFixture<StatsApiFactory>
{
    private const string School = "ravenscroft-high";

    [Fact]
    public async Task PagingVisitsEveryRowOnceWhileRowsAreInsertedConcurrently()
    {
        var client = await app.CreateClientWithScopesAsync([School], Scopes.UsersRead, Scopes.UsersWrite);
        await using var connection = await app.DataSource.OpenConnectionAsync();
        var before = (await connection.QueryAsync<long>("select user_id from users where school_id = @School", new { School })).ToHashSet();

        using var stop = new CancellationTokenSource();
        var inserts = Task.Run(async () =>
        {
            var created = 0;
            while (!stop.IsCancellationRequested)
            {
                var response = await client.PostAsJsonAsync($"/v1/schools/{School}/users",
                    new { role = "student", given_name = "New", family_name = $"Pupil{created}" }, CancellationToken.None);
                Assert.Equal(HttpStatusCode.Created, response.StatusCode);
                created++;
            }
            return created;
        });

        var seen = new List<long>();
        var next = $"/v1/schools/{School}/users?limit=5";
        while (next is not null)
        {
            var page = await (await client.GetAsync(next)).JsonAsync();
            seen.AddRange(page.GetProperty("data").EnumerateArray().Select(u => u.GetProperty("user_id").GetInt64()));
            next = page.GetProperty("next").GetString();
        }
        await stop.CancelAsync();
        var inserted = await inserts;

        Assert.True(inserted > 0, "rows should have been inserted while paging");
        Assert.Equal(seen.Count, seen.Distinct().Count());
        Assert.Subset(seen.ToHashSet(), before);
        Assert.Equal(seen.Order(), seen);
    }

    [Fact]
    public async Task TheNextLinkKeepsTheFiltersAndAForgedCursorIsRefused()
    {
        var client = await app.CreateClientWithScopesAsync([School], Scopes.UsersRead);

        var page = await (await client.GetAsync($"/v1/schools/{School}/users?role=teacher&limit=1")).JsonAsync();
        var next = page.GetProperty("next").GetString()!;

        Assert.Contains("role=teacher", next, StringComparison.Ordinal);
        Assert.Contains("limit=1", next, StringComparison.Ordinal);
        var second = await (await client.GetAsync(next)).JsonAsync();
        Assert.All(second.GetProperty("data").EnumerateArray(), u => Assert.Equal("teacher", u.GetProperty("role").GetString()));

        // A cursor of another list (a lesson's position) is not a position in this one.
        var forged = Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode("""{"StartsAt":"2026-09-01T08:00:00+00:00","LessonId":1}""");
        await (await client.GetAsync($"/v1/schools/{School}/users?cursor={forged}")).AssertProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        var lessons = await app.CreateClientWithScopesAsync([School], Scopes.LessonsRead);
        var offset = Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode("""{"StartsAt":"2026-09-01T09:00:00+01:00","LessonId":1}""");
        Assert.Equal(HttpStatusCode.OK, (await lessons.GetAsync($"/v1/schools/{School}/lessons?cursor={offset}")).StatusCode);
    }
}
