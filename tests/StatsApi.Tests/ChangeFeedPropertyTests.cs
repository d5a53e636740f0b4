using System.Collections.Concurrent;
using System.Net.Http.Json;
using StatsApi.Tests.Infrastructure;
using StatsApi.Tokens;
using Dapper;

namespace StatsApi.Tests;

/// <summary>
/// Random concurrent writes of every kind in two schools, while a client follows one school's feed; its copy,
/// and copies replayed from the start and from random cursors, equal the server's rows, and hold nothing of
/// the other school (decision 0015).
/// </summary>
public class ChangeFeedPropertyTests(StatsApiFactory app) : IClassFixture<StatsApiFactory>
{
    private static readonly string[] Statuses = ["present", "absent", "late", "excused"];

    private sealed class World(string school, HttpClient client)
    {
        public string School { get; } = school;
        public HttpClient Client { get; } = client;
        public ConcurrentBag<long> Teachers { get; } = [];
        public ConcurrentBag<long> Students { get; } = [];
        public ConcurrentBag<long> Courses { get; } = [];
        public ConcurrentBag<long> Lessons { get; } = [];
        public ConcurrentDictionary<long, bool> Deactivated { get; } = new();
        public ConcurrentBag<string> RegisterAnswers { get; } = [];
        public string Base => $"/v1/schools/{School}";
    }

    private static async Task<long> CreateAsync(World w, string path, object body, string id)
    {
        var response = await w.Client.PostAsJsonAsync($"{w.Base}/{path}", body);
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return (await response.JsonAsync()).GetProperty(id).GetInt64();
    }

    private static async Task<World> MakeAsync(HttpClient client, string school)
    {
        var w = new World(school, client);
        for (var i = 0; i < 2; i++)
        {
            w.Teachers.Add(await CreateAsync(w, "users", new { role = "teacher", given_name = "T", family_name = $"Teacher{i}" }, "user_id"));
        }
        for (var i = 0; i < 6; i++)
        {
            w.Students.Add(await CreateAsync(w, "users", new { role = "student", given_name = "S", family_name = $"Student{i}" }, "user_id"));
        }
        foreach (var (teacher, i) in w.Teachers.Select((t, i) => (t, i)))
        {
            w.Courses.Add(await CreateAsync(w, "courses", new { code = $"C-{i}", name = $"Course {i}", teacher_id = teacher }, "course_id"));
        }
        foreach (var course in w.Courses)
        {
            foreach (var student in w.Students)
            {
                (await client.PutAsJsonAsync($"{w.Base}/courses/{course}/enrolments/{student}", new { })).EnsureSuccessStatusCode();
            }
        }
        return w;
    }

    private static T Pick<T>(Random random, ConcurrentBag<T> bag)
    {
        var items = bag.ToArray();
        return items[random.Next(items.Length)];
    }

    // One random write; refusals that concurrency makes (a lesson deleted meanwhile, a stale ETag, a student unenrolled) are part of the game.
    private static async Task WriteAsync(World w, Random random, int step)
    {
        var course = Pick(random, w.Courses);
        var student = Pick(random, w.Students);
        switch (random.Next(11))
        {
            case 0 or 1:
                {
                    var start = new DateTimeOffset(2026, 10, 1, 8, 0, 0, TimeSpan.Zero).AddDays(random.Next(30)).AddHours(random.Next(8));
                    var response = await w.Client.PostAsJsonAsync($"{w.Base}/lessons", new { course_id = course, starts_at = start, ends_at = start.AddMinutes(45), room = $"R{step}" });
                    if (response.IsSuccessStatusCode)
                    {
                        w.Lessons.Add((await response.JsonAsync()).GetProperty("lesson_id").GetInt64());
                    }
                    break;
                }
            case 2 when !w.Lessons.IsEmpty:
                await w.Client.PatchAsJsonAsync($"{w.Base}/lessons/{Pick(random, w.Lessons)}", new { room = $"M{step}" });
                break;
            case 3 when !w.Lessons.IsEmpty:
                {
                    var lesson = Pick(random, w.Lessons);
                    var current = await w.Client.GetAsync($"{w.Base}/lessons/{lesson}");
                    if (current.Headers.ETag is { } etag)
                    {
                        using var delete = new HttpRequestMessage(HttpMethod.Delete, $"{w.Base}/lessons/{lesson}?cascade=true");
                        delete.Headers.TryAddWithoutValidation("If-Match", etag.Tag);
                        await w.Client.SendAsync(delete);
                    }
                    break;
                }
            case 4 or 5 when !w.Lessons.IsEmpty:
                {
                    var lesson = await w.Client.GetAsync($"{w.Base}/lessons/{Pick(random, w.Lessons)}");
                    if (!lesson.IsSuccessStatusCode)
                    {
                        break;
                    }
                    var found = await lesson.JsonAsync();
                    var enrolments = await (await w.Client.GetAsync($"{w.Base}/courses/{found.GetProperty("course_id").GetInt64()}/enrolments?limit=500")).JsonAsync();
                    var marked = enrolments.GetProperty("data").EnumerateArray().Select(e => e.GetProperty("student_id").GetInt64())
                        .Where(s => !w.Deactivated.ContainsKey(s) && random.Next(3) > 0).ToArray();
                    if (marked.Length > 0)
                    {
                        var register = await w.Client.PostAsJsonAsync($"{w.Base}/lessons/{found.GetProperty("lesson_id").GetInt64()}/attendance",
                            new { marks = marked.Select(s => new { student_id = s, status = Statuses[random.Next(4)] }).ToArray() });
                        w.RegisterAnswers.Add(register.IsSuccessStatusCode ? "ok" : $"{(int)register.StatusCode} {await register.Content.ReadAsStringAsync()}");
                    }
                    break;
                }
            case 6 when !w.Lessons.IsEmpty:
                await w.Client.PatchAsJsonAsync($"{w.Base}/lessons/{Pick(random, w.Lessons)}/attendance/{student}", new { status = "excused" });
                break;
            case 7 when !w.Lessons.IsEmpty:
                await w.Client.DeleteAsync($"{w.Base}/lessons/{Pick(random, w.Lessons)}/attendance/{student}");
                break;
            case 8:
                await w.Client.PutAsJsonAsync($"{w.Base}/courses/{course}/enrolments/{student}", new { });
                break;
            case 9:
                await w.Client.DeleteAsync($"{w.Base}/courses/{course}/enrolments/{student}");
                break;
            default:
                if (random.Next(3) == 0)
                {
                    // A student deactivated now and then; a new one takes their place.
                    w.Deactivated[student] = true;
                    await w.Client.PatchAsJsonAsync($"{w.Base}/users/{student}", new { active = false });
                    w.Students.Add(await CreateAsync(w, "users", new { role = "student", given_name = "S", family_name = $"New{step}" }, "user_id"));
                }
                else
                {
                    await w.Client.PatchAsJsonAsync($"{w.Base}/courses/{course}", new { name = $"Renamed {step}" });
                }
                break;
        }
    }

    // The random writes may leave no mark at all: on a loaded machine the writers interleave otherwise, and a
    // register is refused whole when one of its students was unenrolled meanwhile, or its lesson deleted. One
    // mark written after them keeps a mark in what the copies are compared on, whatever the seed and the load.
    private static async Task MarkOneAsync(World w)
    {
        var course = w.Courses.First();
        var student = w.Students.First(s => !w.Deactivated.ContainsKey(s));
        (await w.Client.PutAsJsonAsync($"{w.Base}/courses/{course}/enrolments/{student}", new { })).EnsureSuccessStatusCode();
        var start = new DateTimeOffset(2026, 11, 2, 8, 0, 0, TimeSpan.Zero);
        var lesson = await CreateAsync(w, "lessons", new { course_id = course, starts_at = start, ends_at = start.AddMinutes(45), room = "After" }, "lesson_id");
        var register = await w.Client.PostAsJsonAsync($"{w.Base}/lessons/{lesson}/attendance",
            new { marks = new[] { new { student_id = student, status = "present" } } });
        Assert.True(register.IsSuccessStatusCode, $"The register after the writes: {(int)register.StatusCode} {await register.Content.ReadAsStringAsync()}");
    }

    [Fact]
    public async Task CopiesKeptFromTheFeedEqualTheServerWhateverTheWritesAndWhereverTheReplayStarts()
    {
        var seed = Environment.TickCount;
        var (a, b) = ("prop-a-" + Guid.NewGuid().ToString("N")[..8], "prop-b-" + Guid.NewGuid().ToString("N")[..8]);
        await using (var setup = await app.DataSource.OpenConnectionAsync())
        {
            await setup.ExecuteAsync("insert into schools (school_id, name) select s, 'Property School' from unnest(@ids) s", new { ids = new[] { a, b } });
        }
        // One token for both schools: only the feed's own school check keeps them apart.
        var client = await app.CreateClientWithScopesAsync([a, b], [.. Scopes.All.Where(s => s != Scopes.Admin)]);
        var worlds = new[] { await MakeAsync(client, a), await MakeAsync(client, b) };

        var live = new FeedCopy(a);
        var pages = new List<FeedCopy>();
        var writing = true;
        var follower = Task.Run(async () =>
        {
            while (Volatile.Read(ref writing))
            {
                pages.AddRange(await live.CatchUpAsync(client, limit: 13));
            }
        });
        var writers = worlds.SelectMany(w => Enumerable.Range(0, 3).Select(n => Task.Run(async () =>
        {
            var random = new Random(seed + n + (w.School == a ? 0 : 100));
            for (var step = 0; step < 30; step++)
            {
                await WriteAsync(w, random, step);
            }
        }))).ToList();
        await Task.WhenAll(writers);
        await MarkOneAsync(worlds[0]);
        Volatile.Write(ref writing, false);
        await follower;
        await using var connection = await app.DataSource.OpenConnectionAsync();
        await live.CatchUpWithAsync(client, connection, $"the copy followed during the writes (seed {seed})", limit: 13, pages);
        var server = await FeedCopy.ServerAsync(connection, a);
        Assert.True(server.Keys.Any(k => k.StartsWith("mark:", StringComparison.Ordinal)),
            $"No mark is left in {a} (seed {seed}); the registers answered: {string.Join("; ", worlds[0].RegisterAnswers)}");
        Assert.Contains(server.Keys, k => k.StartsWith("enrolment:", StringComparison.Ordinal));

        var fromStart = new FeedCopy(a);
        await fromStart.CatchUpWithAsync(client, connection, $"a copy replayed from the start (seed {seed})", limit: 500);

        var random = new Random(seed);
        for (var i = 0; i < 5; i++)
        {
            var resumed = pages[random.Next(pages.Count)].Clone();
            await resumed.CatchUpWithAsync(client, connection, $"a copy resumed from a cursor of the followed replay (seed {seed})", limit: 1 + random.Next(40));
        }

        var other = await FeedCopy.ServerAsync(connection, b);
        Assert.Empty(live.Objects.Keys.Intersect(other.Keys));
        Assert.NotEmpty(other);
    }
}
