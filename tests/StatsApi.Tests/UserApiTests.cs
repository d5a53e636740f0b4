using System.Net;
using System.Net.Http.Json;
using System.Text;
using Dapper;
using StatsApi.Tests.Infrastructure;
using StatsApi.Tokens;

namespace StatsApi.Tests;

public class UserApiTests(StatsApiFactory app) : IClassFixture<StatsApiFactory>
{
    private const string School = "oakwood-primary";
    private const string Users = $"/v1/schools/{School}/users";

    private Task<HttpClient> ReaderAsync() => app.CreateClientWithScopesAsync([School], Scopes.UsersRead);

    private Task<HttpClient> WriterAsync() => app.CreateClientWithScopesAsync([School], Scopes.UsersRead, Scopes.UsersWrite);

    private async Task<long> OtherSchoolStudentAsync()
    {
        await using var connection = await app.DataSource.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<long>("select min(user_id) from users where school_id = 'ravenscroft-high' and role = 'student'");
    }

    private static object NewStudent(string email) => new { role = "student", given_name = "Ada", family_name = "Lovelace", email };

    [Fact]
    public async Task ListingPagesThroughEveryStudentOnceInIdOrder()
    {
        var client = await ReaderAsync();
        var seen = new List<long>();
        var next = $"{Users}?role=student&limit=7";
        while (next is not null)
        {
            var page = await (await client.GetAsync(next)).JsonAsync();
            seen.AddRange(page.GetProperty("data").EnumerateArray().Select(u =>
            {
                Assert.Equal("student", u.GetProperty("role").GetString());
                return u.GetProperty("user_id").GetInt64();
            }));
            next = page.GetProperty("next").GetString();
        }

        await using var connection = await app.DataSource.OpenConnectionAsync();
        var expected = (await connection.QueryAsync<long>(
            "select user_id from users where school_id = @School and role = 'student' order by user_id", new { School })).ToList();
        Assert.True(expected.Count > 20);
        Assert.Equal(expected, seen);
    }

    [Fact]
    public async Task NameSearchAndCourseFilterNarrowTheList()
    {
        var client = await ReaderAsync();
        await using var connection = await app.DataSource.OpenConnectionAsync();
        var course = await connection.QuerySingleAsync<(long CourseId, long TeacherId)>(
            "select course_id, teacher_id from courses where school_id = @School order by course_id limit 1", new { School });
        var enrolled = (await connection.QueryAsync<long>(
            "select student_id from enrolments where school_id = @School and course_id = @CourseId", new { School, course.CourseId })).ToHashSet();

        var inCourse = await (await client.GetAsync($"{Users}?course_id={course.CourseId}&limit=500")).JsonAsync();
        var ids = inCourse.GetProperty("data").EnumerateArray().Select(u => u.GetProperty("user_id").GetInt64()).ToHashSet();
        Assert.Equal(enrolled.Append(course.TeacherId).ToHashSet(), ids);

        var someone = inCourse.GetProperty("data")[0];
        var family = someone.GetProperty("family_name").GetString()!;
        var found = await (await client.GetAsync($"{Users}?q={Uri.EscapeDataString(family.ToUpperInvariant())}&limit=500")).JsonAsync();
        Assert.All(found.GetProperty("data").EnumerateArray(), u =>
            Assert.Contains(family, $"{u.GetProperty("given_name").GetString()} {u.GetProperty("family_name").GetString()}", StringComparison.OrdinalIgnoreCase));
        Assert.Contains(found.GetProperty("data").EnumerateArray(), u => u.GetProperty("user_id").GetInt64() == someone.GetProperty("user_id").GetInt64());
    }

    [Theory]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=501", "limit")]
    [InlineData("limit=ten", "limit")]
    [InlineData("cursor=bm90LWEtY3Vyc29y", "cursor")]
    [InlineData("role=parent", "role")]
    [InlineData("course_id=abc", "course_id")]
    public async Task ABadListParameterIs400NamingIt(string query, string field)
    {
        var client = await ReaderAsync();

        var problem = await (await client.GetAsync($"{Users}?{query}")).AssertProblemAsync(HttpStatusCode.BadRequest, "validation_failed");

        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
    }

    [Fact]
    public async Task WithoutUsersReadNoNameIsShown()
    {
        var client = await app.CreateClientWithScopesAsync([School], Scopes.AttendanceRead);

        await (await client.GetAsync(Users)).AssertProblemAsync(HttpStatusCode.Forbidden, "insufficient_scope");
        await (await client.GetAsync($"{Users}/1")).AssertProblemAsync(HttpStatusCode.Forbidden, "insufficient_scope");
    }

    [Fact]
    public async Task AnotherSchoolInTheRouteIs403()
    {
        var client = await WriterAsync();

        await (await client.GetAsync("/v1/schools/ravenscroft-high/users")).AssertProblemAsync(HttpStatusCode.Forbidden, "school_not_approved");
        await (await client.PostAsJsonAsync("/v1/schools/ravenscroft-high/users", NewStudent("x@ravenscroft.example")))
            .AssertProblemAsync(HttpStatusCode.Forbidden, "school_not_approved");
    }

    [Fact]
    public async Task AnotherSchoolsUserIdAnswersLikeAMissingOne()
    {
        var client = await WriterAsync();
        var foreign = await OtherSchoolStudentAsync();

        var asForeign = await (await client.GetAsync($"{Users}/{foreign}")).AssertProblemAsync(HttpStatusCode.NotFound, "user_not_found");
        var asMissing = await (await client.GetAsync($"{Users}/999999999")).AssertProblemAsync(HttpStatusCode.NotFound, "user_not_found");
        Assert.Equal(asMissing.GetProperty("title").GetString(), asForeign.GetProperty("title").GetString());
        await (await client.PatchAsJsonAsync($"{Users}/{foreign}", new { given_name = "Eve" })).AssertProblemAsync(HttpStatusCode.NotFound, "user_not_found");
    }

    [Fact]
    public async Task AWriteThatRefusesLeavesNothingBehindNotEvenItsIdempotencyKey()
    {
        var client = await WriterAsync();
        var taken = $"taken.{Guid.NewGuid():N}@oakwood.example";
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsJsonAsync(Users, NewStudent(taken))).StatusCode);
        var key = $"{Guid.NewGuid()}";
        async Task<HttpResponseMessage> PostWithKeyAsync(string email)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, Users) { Content = JsonContent.Create(NewStudent(email)) };
            request.Headers.TryAddWithoutValidation("Idempotency-Key", key);
            return await client.SendAsync(request);
        }

        // Refused after its statement failed inside the transaction: the key's claim went with it.
        await (await PostWithKeyAsync(taken)).AssertProblemAsync(HttpStatusCode.Conflict, "email_taken");
        var free = $"free.{Guid.NewGuid():N}@oakwood.example";
        var retried = await PostWithKeyAsync(free);

        Assert.Equal(HttpStatusCode.Created, retried.StatusCode);
        Assert.False(retried.Headers.Contains("Idempotent-Replayed"));
        await using var connection = await app.DataSource.OpenConnectionAsync();
        foreach (var email in new[] { taken, free })
        {
            Assert.Equal(1, await connection.ExecuteScalarAsync<long>("select count(*) from users where school_id = @School and email = @email", new { School, email }));
        }
    }

    [Fact]
    public async Task CreatingAPersonAnswers201WithLocationAndETagAndIsAudited()
    {
        var client = await WriterAsync();

        var response = await client.PostAsJsonAsync(Users, NewStudent("ada.new@oakwood.example"));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await response.JsonAsync();
        var id = body.GetProperty("user_id").GetInt64();
        Assert.Equal($"{Users}/{id}", response.Headers.Location?.ToString());
        Assert.Equal("\"v1\"", response.Headers.ETag?.Tag);
        Assert.True(body.GetProperty("active").GetBoolean());
        Assert.False(body.TryGetProperty("version", out _));
        await using var connection = await app.DataSource.OpenConnectionAsync();
        Assert.Equal("Lovelace", await connection.ExecuteScalarAsync<string>(
            "select family_name from users where school_id = @School and user_id = @id", new { School, id }));
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>(
            "select count(*) from audit_events where school_id = @School and action = 'create' and object_type = 'user' and object_id = @id",
            new { School, id = id.ToString(System.Globalization.CultureInfo.InvariantCulture) }));
    }

    [Fact]
    public async Task ATakenEmailIs409NamingEmailAndStoresNothing()
    {
        var client = await WriterAsync();
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsJsonAsync(Users, NewStudent("twin@oakwood.example"))).StatusCode);
        var before = await DatabaseSnapshot.TakeAsync(app.DataSource);

        var problem = await (await client.PostAsJsonAsync(Users, NewStudent("TWIN@oakwood.example")))
            .AssertProblemAsync(HttpStatusCode.Conflict, "email_taken");

        Assert.True(problem.GetProperty("errors").TryGetProperty("email", out _));
        Assert.Equal(before, await DatabaseSnapshot.TakeAsync(app.DataSource));
    }

    public static TheoryData<string, string> BadBodies => new()
    {
        { """{"given_name":"Ada","family_name":"L"}""", "role" },
        { """{"role":"parent","given_name":"Ada","family_name":"L"}""", "role" },
        { """{"role":"student","family_name":"L"}""", "given_name" },
        { """{"role":"student","given_name":"","family_name":"L"}""", "given_name" },
        { """{"role":"student","given_name":"Ada","family_name":"L","email":"not-an-email"}""", "email" },
        { """{"role":"student","given_name":42,"family_name":"L"}""", "given_name" },
        { """{"role":"student","given_name":"Ada","family_name":"L","nickname":"A"}""", "nickname" },
        { """{"role":"student","given_name":"Ada",""", "body" },
        { "[]", "body" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task ABadBodyIs400NamingTheFieldAndStoresNothing(string json, string field)
    {
        var client = await WriterAsync();
        var before = await DatabaseSnapshot.TakeAsync(app.DataSource);

        var response = await client.PostAsync(Users, new StringContent(json, Encoding.UTF8, "application/json"));

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
        Assert.Equal(before, await DatabaseSnapshot.TakeAsync(app.DataSource));
    }

    [Fact]
    public async Task ABodyOverTheLimitIs413()
    {
        var client = await WriterAsync();
        var huge = $$"""{"role":"student","given_name":"{{new string('a', 10 * 1024 * 1024)}}","family_name":"L"}""";

        var response = await client.PostAsync(Users, new StringContent(huge, Encoding.UTF8, "application/json"));

        await response.AssertProblemAsync(HttpStatusCode.RequestEntityTooLarge, "payload_too_large");
    }

    [Fact]
    public async Task ARetryWithTheSameIdempotencyKeyReplaysTheFirstAnswer()
    {
        var client = await WriterAsync();
        var key = Guid.NewGuid().ToString();

        var first = await PostWithKeyAsync(client, key, NewStudent("once@oakwood.example"));
        var second = await PostWithKeyAsync(client, key, NewStudent("once@oakwood.example"));

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.Created, second.StatusCode);
        Assert.Equal(await first.Content.ReadAsStringAsync(), await second.Content.ReadAsStringAsync());
        Assert.Equal(first.Headers.Location, second.Headers.Location);
        Assert.Equal("true", second.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal(1, await CountEmailAsync("once@oakwood.example"));
    }

    [Fact]
    public async Task ConcurrentTwinsWithOneIdempotencyKeyCreateOnePerson()
    {
        var client = await WriterAsync();
        var key = Guid.NewGuid().ToString();

        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => PostWithKeyAsync(client, key, NewStudent("twins@oakwood.example"))));

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.Created, a.StatusCode));
        Assert.Single(answers.Select(a => a.Headers.Location?.ToString()).Distinct());
        Assert.Equal(1, await CountEmailAsync("twins@oakwood.example"));
    }

    [Fact]
    public async Task TheSameIdempotencyKeyWithAnotherBodyIs422()
    {
        var client = await WriterAsync();
        var key = Guid.NewGuid().ToString();
        Assert.Equal(HttpStatusCode.Created, (await PostWithKeyAsync(client, key, NewStudent("first@oakwood.example"))).StatusCode);

        var response = await PostWithKeyAsync(client, key, NewStudent("second@oakwood.example"));

        await response.AssertProblemAsync(HttpStatusCode.UnprocessableEntity, "idempotency_key_reused");
        Assert.Equal(0, await CountEmailAsync("second@oakwood.example"));
    }

    [Theory]
    [InlineData(23, HttpStatusCode.UnprocessableEntity)]
    [InlineData(25, HttpStatusCode.Created)]
    public async Task AKeyIsBoundToItsRequestForItsLifetimeAndFreeAfter(int hoursOld, HttpStatusCode expected)
    {
        var client = await WriterAsync();
        var key = Guid.NewGuid().ToString();
        Assert.Equal(HttpStatusCode.Created, (await PostWithKeyAsync(client, key, NewStudent($"then{hoursOld}@oakwood.example"))).StatusCode);
        await using (var connection = await app.DataSource.OpenConnectionAsync())
        {
            Assert.Equal(1, await connection.ExecuteAsync(
                "update idempotency_keys set created_at = @at where school_id = @School and idempotency_key = @key",
                new { School, key, at = DateTime.UtcNow.AddHours(-hoursOld) }));
        }

        var response = await PostWithKeyAsync(client, key, NewStudent($"now{hoursOld}@oakwood.example"));

        Assert.Equal(expected, response.StatusCode);
        Assert.Equal(expected == HttpStatusCode.Created ? 1 : 0, await CountEmailAsync($"now{hoursOld}@oakwood.example"));
    }

    [Fact]
    public async Task TheSweeperDeletesTheExpiredKeysOnly()
    {
        var client = $"sweep{Guid.NewGuid():N}"[..20];
        await using var connection = await app.DataSource.OpenConnectionAsync();
        // 12,000 keys expired over the 4 hours before their lifetime, a second apart, oldest first; and 100 that are not.
        var now = await connection.ExecuteScalarAsync<DateTime>("select now()");
        await connection.ExecuteAsync("""
            insert into idempotency_keys (school_id, client_id, idempotency_key, request_hash, status, created_at)
            select @School, @client, 'k' || g, '\x00'::bytea, 201, @expired - g * interval '1 second'
            from generate_series(1, 12000) g
            union all
            select @School, @client, 'fresh' || g, '\x00'::bytea, 201, @fresh
            from generate_series(1, 100) g
            """, new { School, client, expired = now.AddHours(-24).AddMinutes(-1), fresh = now.AddHours(-23) });
        var sweeper = app.Services.GetServices<Microsoft.Extensions.Hosting.IHostedService>().OfType<StatsApi.Writes.IdempotencyKeySweeper>().Single();

        var deleted = await sweeper.SweepAsync(CancellationToken.None);

        Assert.True(deleted >= 12000, $"{deleted} keys deleted");
        Assert.Equal(100, await connection.ExecuteScalarAsync<int>("select count(*) from idempotency_keys where school_id = @School and client_id = @client", new { School, client }));
        Assert.Equal(0, await connection.ExecuteScalarAsync<int>("select count(*) from idempotency_keys where created_at < now() - interval '24 hours'"));
    }

    [Fact]
    public async Task AMalformedIdempotencyKeyIs400()
    {
        var client = await WriterAsync();

        var problem = await (await PostWithKeyAsync(client, new string('k', 300), NewStudent("long@oakwood.example")))
            .AssertProblemAsync(HttpStatusCode.BadRequest, "validation_failed");

        Assert.True(problem.GetProperty("errors").TryGetProperty("Idempotency-Key", out _));
    }

    [Fact]
    public async Task UpdatesHonourIfMatchAndDeactivationIsAudited()
    {
        var client = await WriterAsync();
        var created = await client.PostAsJsonAsync(Users, NewStudent("change@oakwood.example"));
        var path = created.Headers.Location!.ToString();
        var etag = created.Headers.ETag!.Tag;

        var renamed = await SendPatchAsync(client, path, new { given_name = "Augusta" }, etag);
        Assert.Equal(HttpStatusCode.OK, renamed.StatusCode);
        Assert.Equal("\"v2\"", renamed.Headers.ETag?.Tag);
        Assert.Equal("Augusta", (await renamed.JsonAsync()).GetProperty("given_name").GetString());

        await (await SendPatchAsync(client, path, new { active = false }, etag)).AssertProblemAsync(HttpStatusCode.PreconditionFailed, "stale_version");

        var deactivated = await SendPatchAsync(client, path, new { active = false }, renamed.Headers.ETag!.Tag);
        Assert.False((await deactivated.JsonAsync()).GetProperty("active").GetBoolean());
        var inactive = await (await client.GetAsync($"{Users}?active=false&limit=500")).JsonAsync();
        Assert.Contains(inactive.GetProperty("data").EnumerateArray(), u => $"{Users}/{u.GetProperty("user_id").GetInt64()}" == path);
        await using var connection = await app.DataSource.OpenConnectionAsync();
        var actions = await connection.QueryAsync<string>(
            "select action from audit_events where school_id = @School and object_type = 'user' and object_id = @id order by event_id",
            new { School, id = path.Split('/')[^1] });
        Assert.Equal(["create", "update", "deactivate"], actions);
    }

    [Fact]
    public async Task ReadingAStudentIsAuditedAndTheAuditCannotBeRewritten()
    {
        var client = await ReaderAsync();
        await using var connection = await app.DataSource.OpenConnectionAsync();
        var student = await connection.ExecuteScalarAsync<long>("select min(user_id) from users where school_id = @School and role = 'student'", new { School });

        var response = await client.GetAsync($"{Users}/{student}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var requestId = response.Headers.GetValues("X-Request-Id").Single();
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>(
            "select count(*) from audit_events where school_id = @School and action = 'read' and object_type = 'student' and request_id = @requestId",
            new { School, requestId }));
        var refused = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => connection.ExecuteAsync("delete from audit_events"));
        Assert.Contains("append-only", refused.MessageText, StringComparison.Ordinal);
    }

    private static async Task<HttpResponseMessage> PostWithKeyAsync(HttpClient client, string key, object body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, Users) { Content = JsonContent.Create(body) };
        request.Headers.TryAddWithoutValidation("Idempotency-Key", key);
        return await client.SendAsync(request);
    }

    private static async Task<HttpResponseMessage> SendPatchAsync(HttpClient client, string path, object body, string etag)
    {
        using var request = new HttpRequestMessage(HttpMethod.Patch, path) { Content = JsonContent.Create(body) };
        request.Headers.TryAddWithoutValidation("If-Match", etag);
        return await client.SendAsync(request);
    }

    private async Task<int> CountEmailAsync(string email)
    {
        await using var connection = await app.DataSource.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<int>("select count(*) from users where school_id = @School and lower(email) = lower(@email)", new { School, email });
    }
}
