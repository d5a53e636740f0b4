using System.Net;
using System.Net.Http.Json;
using System.Text;
using Dapper;
using StatsApi.Changes;
using StatsApi.Tests.Infrastructure;
using StatsApi.Tokens;

namespace StatsApi.Tests;

public class ChangeFeedTests(StatsApiFactory app) : IClassFixture<StatsApiFactory>
{
    private static readonly string[] ReadAndWrite = [.. Scopes.All.Where(s => s != Scopes.Admin)];

    private async Task<string> NewSchoolAsync()
    {
        var school = "feed-" + Guid.NewGuid().ToString("N")[..10];
        await using var connection = await app.DataSource.OpenConnectionAsync();
        await connection.ExecuteAsync("insert into schools (school_id, name) values (@school, 'Feed School')", new { school });
        return school;
    }

    // The feed serves a change once every transaction begun before it has ended; other tests' transactions on the cluster hold that back a while.
    private static async Task<T> EventuallyAsync<T>(Func<Task<T>> read, Func<T, bool> done)
    {
        var deadline = DateTime.UtcNow.AddMinutes(1);
        while (true)
        {
            var value = await read();
            if (done(value) || DateTime.UtcNow > deadline)
            {
                return value;
            }
            await Task.Delay(100);
        }
    }

    private static async Task<long> CreateAsync(HttpClient client, string school, string path, object body, string id)
    {
        var response = await client.PostAsJsonAsync($"/v1/schools/{school}/{path}", body);
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return (await response.JsonAsync()).GetProperty(id).GetInt64();
    }

    [Fact]
    public async Task EveryKindOfWriteReachesTheCopyAsUpsertsAndTombstonesWithTheirParentsKeys()
    {
        var school = await NewSchoolAsync();
        var client = await app.CreateClientWithScopesAsync([school], ReadAndWrite);
        var teacher = await CreateAsync(client, school, "users", new { role = "teacher", given_name = "Tia", family_name = "Feed" }, "user_id");
        var student = await CreateAsync(client, school, "users", new { role = "student", given_name = "Sam", family_name = "Feed" }, "user_id");
        var course = await CreateAsync(client, school, "courses", new { code = "F-1", name = "Feed 1", teacher_id = teacher }, "course_id");
        (await client.PutAsJsonAsync($"/v1/schools/{school}/courses/{course}/enrolments/{student}", new { })).EnsureSuccessStatusCode();
        var start = new DateTimeOffset(2026, 10, 5, 9, 0, 0, TimeSpan.Zero);
        var lesson = await CreateAsync(client, school, "lessons", new { course_id = course, starts_at = start, ends_at = start.AddMinutes(50) }, "lesson_id");
        (await client.PostAsJsonAsync($"/v1/schools/{school}/lessons/{lesson}/attendance", new { marks = new[] { new { student_id = student, status = "late" } } })).EnsureSuccessStatusCode();
        var copy = new FeedCopy(school);
        await using var connection = await app.DataSource.OpenConnectionAsync();
        await copy.CatchUpWithAsync(client, connection, "after the creates", limit: 3);

        var etag = (await client.GetAsync($"/v1/schools/{school}/lessons/{lesson}")).Headers.ETag!.Tag;
        using var delete = new HttpRequestMessage(HttpMethod.Delete, $"/v1/schools/{school}/lessons/{lesson}?cascade=true");
        delete.Headers.TryAddWithoutValidation("If-Match", etag);
        Assert.Equal(HttpStatusCode.NoContent, (await client.SendAsync(delete)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/v1/schools/{school}/courses/{course}/enrolments/{student}")).StatusCode);
        (await client.PatchAsJsonAsync($"/v1/schools/{school}/users/{student}", new { active = false })).EnsureSuccessStatusCode();

        var changes = new List<System.Text.Json.JsonElement>();
        var cursor = copy.Cursor;
        for (var deadline = DateTime.UtcNow.AddMinutes(1); changes.Count < 4 && DateTime.UtcNow < deadline; await Task.Delay(100))
        {
            var page = await (await client.GetAsync($"/v1/schools/{school}/changes?after={cursor}")).JsonAsync();
            changes.AddRange(page.GetProperty("data").EnumerateArray());
            cursor = page.GetProperty("cursor").GetString()!;
        }
        var markGone = changes.Single(c => c.GetProperty("object").GetString() == "mark");
        Assert.Equal("delete", markGone.GetProperty("action").GetString());
        Assert.Equal(lesson, markGone.GetProperty("key").GetProperty("lesson_id").GetInt64());
        Assert.Equal(student, markGone.GetProperty("key").GetProperty("student_id").GetInt64());
        Assert.Equal(course, markGone.GetProperty("key").GetProperty("course_id").GetInt64());
        Assert.Equal("delete", changes.Single(c => c.GetProperty("object").GetString() == "lesson").GetProperty("action").GetString());
        Assert.Equal("delete", changes.Single(c => c.GetProperty("object").GetString() == "enrolment").GetProperty("action").GetString());
        var deactivated = changes.Single(c => c.GetProperty("object").GetString() == "user");
        Assert.False(deactivated.GetProperty("data").GetProperty("active").GetBoolean());
        foreach (var change in changes)
        {
            copy.Apply(change);
        }
        FeedCopy.AssertSame(await FeedCopy.ServerAsync(connection, school), copy.Objects, "after the deletes");
        Assert.Equal(4, changes.Count);
    }

    [Fact]
    public async Task AWriterThatCommitsAfterALaterOneIsNeverSkipped()
    {
        var school = await NewSchoolAsync();
        var client = await app.CreateClientWithScopesAsync([school], Scopes.CoursesRead);
        var copy = new FeedCopy(school);
        await copy.CatchUpAsync(client);

        // The first writer takes its transaction id and change id, then holds its transaction open on a connection of its own.
        await using var slow = await app.DataSource.OpenConnectionAsync();
        await using var slowTransaction = await slow.BeginTransactionAsync();
        await slow.ExecuteAsync("insert into courses (school_id, code, name) values (@school, 'SLOW', 'Slow')", new { school }, slowTransaction);
        await using var fast = await app.DataSource.OpenConnectionAsync();
        await fast.ExecuteAsync("insert into courses (school_id, code, name) values (@school, 'FAST', 'Fast')", new { school });
        var order = (await fast.QueryAsync<string>(
            "select object_key from change_log where school_id = @school order by change_id", new { school })).ToList();
        Assert.Single(order);

        // The later writer committed first: the feed holds it back, so the cursor it hands out stays before the slow one.
        await copy.CatchUpAsync(client);
        Assert.DoesNotContain(copy.Objects.Values, v => v.StartsWith("FAST|", StringComparison.Ordinal));
        await slowTransaction.CommitAsync();
        var ids = (await fast.QueryAsync<(string Code, long ChangeId)>("""
            select c.code, l.change_id from change_log l join courses c on c.school_id = l.school_id and c.course_id = l.object_key::bigint
            where l.school_id = @school and l.object_type = 'course'
            """, new { school })).ToDictionary(r => r.Code, r => r.ChangeId);
        Assert.True(ids["SLOW"] < ids["FAST"], "the slow writer took the lower change id and committed last");

        await copy.CatchUpWithAsync(client, fast, "after both commits");
        Assert.Contains(copy.Objects.Values, v => v.StartsWith("SLOW|", StringComparison.Ordinal));
        Assert.Contains(copy.Objects.Values, v => v.StartsWith("FAST|", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AMalformedCursorOrOneOfAnotherSchoolIsRefusedAndReadsNothing()
    {
        var school = await NewSchoolAsync();
        var other = await NewSchoolAsync();
        var client = await app.CreateClientWithScopesAsync([school, other], Scopes.CoursesRead, Scopes.CoursesWrite);
        await CreateAsync(client, other, "courses", new { code = "OTHER", name = "Other's" }, "course_id");
        var otherCursor = (await (await client.GetAsync($"/v1/schools/{other}/changes/available")).JsonAsync()).GetProperty("oldest").GetString();

        foreach (var bad in new[] { "nonsense", "eyJ4IjoxfQ", otherCursor, Convert.ToBase64String(Encoding.UTF8.GetBytes("""{"School":"x","Txid":-1,"Change":0}""")) })
        {
            var response = await client.GetAsync($"/v1/schools/{school}/changes?after={Uri.EscapeDataString(bad!)}");
            var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
            Assert.True(problem.GetProperty("errors").TryGetProperty("after", out _));
        }
        var (limit, types) = (await client.GetAsync($"/v1/schools/{school}/changes?limit=0"), await client.GetAsync($"/v1/schools/{school}/changes?types=lessons,grades"));
        Assert.True((await limit.AssertProblemAsync(HttpStatusCode.BadRequest, "validation_failed")).GetProperty("errors").TryGetProperty("limit", out _));
        Assert.True((await types.AssertProblemAsync(HttpStatusCode.BadRequest, "validation_failed")).GetProperty("errors").TryGetProperty("types", out _));
    }

    [Fact]
    public async Task ACursorOlderThanTheChangesKeptIsGone()
    {
        var school = await NewSchoolAsync();
        var client = await app.CreateClientWithScopesAsync([school], Scopes.CoursesRead, Scopes.CoursesWrite);
        var start = (await (await client.GetAsync($"/v1/schools/{school}/changes/available")).JsonAsync()).GetProperty("oldest").GetString();
        await CreateAsync(client, school, "courses", new { code = "OLD", name = "Old" }, "course_id");
        var copy = new FeedCopy(school);
        await EventuallyAsync(async () => { await copy.CatchUpAsync(client); return copy.Objects.Count; }, n => n == 1);
        var afterOld = copy.Cursor;
        await CreateAsync(client, school, "courses", new { code = "NEW", name = "New" }, "course_id");
        await using (var connection = await app.DataSource.OpenConnectionAsync())
        {
            await connection.ExecuteAsync("""
                update change_log set changed_at = now() - interval '31 days'
                where school_id = @school and object_key = (select course_id::text from courses where school_id = @school and code = 'OLD')
                """, new { school });
        }

        Assert.True(await app.Services.GetRequiredService<ChangeLogPruner>().PruneAsync(CancellationToken.None) >= 1);

        await (await client.GetAsync($"/v1/schools/{school}/changes?after={start}")).AssertProblemAsync(HttpStatusCode.Gone, "cursor_expired");
        var rest = await EventuallyAsync(async () => await (await client.GetAsync($"/v1/schools/{school}/changes?after={afterOld}")).JsonAsync(),
            page => page.GetProperty("data").GetArrayLength() > 0);
        Assert.Equal("NEW", rest.GetProperty("data").EnumerateArray().Single().GetProperty("data").GetProperty("code").GetString());
        var available = await (await client.GetAsync($"/v1/schools/{school}/changes/available")).JsonAsync();
        Assert.Equal(afterOld, available.GetProperty("oldest").GetString());
        Assert.Equal(30, available.GetProperty("retention_days").GetInt32());
    }

    [Fact]
    public async Task WithoutUsersReadNoPersonAndNoNameComesThroughTheFeed()
    {
        var school = await NewSchoolAsync();
        var writer = await app.CreateClientWithScopesAsync([school], ReadAndWrite);
        var teacher = await CreateAsync(writer, school, "users", new { role = "teacher", given_name = "Zebulon", family_name = "Quixote" }, "user_id");
        await CreateAsync(writer, school, "courses", new { code = "NM-1", name = "Names", teacher_id = teacher }, "course_id");
        var reader = await app.CreateClientWithScopesAsync([school], Scopes.CoursesRead, Scopes.LessonsRead);

        var body = await EventuallyAsync(async () => await (await reader.GetAsync($"/v1/schools/{school}/changes")).Content.ReadAsStringAsync(),
            text => text.Contains("NM-1", StringComparison.Ordinal));
        Assert.Contains("NM-1", body, StringComparison.Ordinal);
        Assert.DoesNotContain("Zebulon", body, StringComparison.Ordinal);
        Assert.DoesNotContain("\"user\"", body, StringComparison.Ordinal);
        await (await reader.GetAsync($"/v1/schools/{school}/changes?types=users")).AssertProblemAsync(HttpStatusCode.Forbidden, "insufficient_scope");
        var none = await app.CreateClientWithScopesAsync([school], Scopes.SchoolsRead);
        await (await none.GetAsync($"/v1/schools/{school}/changes")).AssertProblemAsync(HttpStatusCode.Forbidden, "insufficient_scope");
        var stranger = await app.CreateClientWithScopesAsync(["oakwood-primary"], Scopes.CoursesRead);
        await (await stranger.GetAsync($"/v1/schools/{school}/changes")).AssertProblemAsync(HttpStatusCode.Forbidden, "school_not_approved");
    }

    [Fact]
    public async Task AStudentsTokenSeesTheirOwnMarksAndNotTheirClassmates()
    {
        var school = await NewSchoolAsync();
        var client = await app.CreateClientWithScopesAsync([school], ReadAndWrite);
        var teacher = await CreateAsync(client, school, "users", new { role = "teacher", given_name = "T", family_name = "Feed" }, "user_id");
        var me = await CreateAsync(client, school, "users", new { role = "student", given_name = "Me", family_name = "Feed" }, "user_id");
        var classmate = await CreateAsync(client, school, "users", new { role = "student", given_name = "Other", family_name = "Feed" }, "user_id");
        var course = await CreateAsync(client, school, "courses", new { code = "ST-1", name = "Students", teacher_id = teacher }, "course_id");
        foreach (var s in new[] { me, classmate })
        {
            (await client.PutAsJsonAsync($"/v1/schools/{school}/courses/{course}/enrolments/{s}", new { })).EnsureSuccessStatusCode();
        }
        var start = new DateTimeOffset(2026, 10, 6, 9, 0, 0, TimeSpan.Zero);
        var lesson = await CreateAsync(client, school, "lessons", new { course_id = course, starts_at = start, ends_at = start.AddMinutes(50) }, "lesson_id");
        (await client.PostAsJsonAsync($"/v1/schools/{school}/lessons/{lesson}/attendance",
            new { marks = new[] { new { student_id = me, status = "present" }, new { student_id = classmate, status = "absent" } } })).EnsureSuccessStatusCode();
        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/v1/schools/{school}/lessons/{lesson}/attendance/{classmate}")).StatusCode);

        var student = await app.ActAsAsync(school, me);
        var copy = new FeedCopy(school);
        await EventuallyAsync(async () => { await copy.CatchUpAsync(student); return copy.Objects; }, o => o.ContainsKey($"mark:{lesson}:{me}"));

        Assert.Contains($"mark:{lesson}:{me}", copy.Objects.Keys);
        Assert.Contains($"lesson:{lesson}", copy.Objects.Keys);
        Assert.Contains($"user:{me}", copy.Objects.Keys);
        Assert.DoesNotContain($"mark:{lesson}:{classmate}", copy.Objects.Keys);
        Assert.DoesNotContain($"user:{classmate}", copy.Objects.Keys);
        Assert.DoesNotContain($"enrolment:{course}:{classmate}", copy.Objects.Keys);
        Assert.DoesNotContain($"user:{teacher}", copy.Objects.Keys);
    }
}
