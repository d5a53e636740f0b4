using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using StatsApi.Tests.Infrastructure;
using StatsApi.Demo;
using StatsApi.Tokens;

namespace StatsApi.Tests;

/// <summary>The service on a PostgreSQL of its own, which the test crashes and restarts under load.</summary>
public sealed class OwnClusterFactory : StatsApiFactory
{
    public const int CommandTimeoutSeconds = 5;

    public PostgresCluster Cluster { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        Cluster = await PostgresCluster.CreateAsync();
        ConnectionString = await Cluster.CreateDatabaseAsync("statsapi");
        With("Database:CommandTimeoutSeconds", CommandTimeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
        // The service migrates at start; then the smallest demo school.
        await ActivatorUtilities.CreateInstance<DemoData>(Services).SeedAsync(new DemoDataOptions { Seed = 7, Schools = 1, StudentsPerSchool = 10, Weeks = 1 });
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await Cluster.DisposeAsync();
        GC.SuppressFinalize(this);
    }
}

public class DatabaseFaultTests(OwnClusterFactory app) : IClassFixture<OwnClusterFactory>
{
    private const string School = "oakwood-primary";
    private const string Lessons = $"/v1/schools/{School}/lessons";
    // Generous: the bound says the pool recovers by itself, not how fast a loaded machine is.
    private static readonly TimeSpan Recovery = TimeSpan.FromSeconds(30);

    private static async Task UntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddMinutes(1);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Not within a minute: {what}.");
            await Task.Delay(50);
        }
    }
    // No request may wait longer than the client's command timeout (the server's plus its margin) and a little more.
    private static readonly TimeSpan LongestAnswer = TimeSpan.FromSeconds(OwnClusterFactory.CommandTimeoutSeconds + 5 + 2);

    private sealed record Answer(HttpStatusCode Status, DateTime At, TimeSpan Took, string? ErrorCode, TimeSpan? RetryAfter);

    /// <summary>A POST with its Idempotency-Key, kept to be sent again exactly as it was until it is acknowledged.</summary>
    private sealed class Write(string path, object body)
    {
        public string Key { get; } = Guid.NewGuid().ToString();

        public string Path { get; } = path;

        public object Body { get; } = body;

        public JsonElement? Acknowledged { get; set; }
    }

    private sealed class Load(HttpClient client, long courseId, long[] students)
    {
        public ConcurrentQueue<Answer> Answers { get; } = new();

        public ConcurrentQueue<(Write Lesson, string Room, Write? Register, string Mark)> Writes { get; } = new();

        public async Task<(HttpStatusCode, JsonElement?)> SendAsync(Write write)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, write.Path) { Content = JsonContent.Create(write.Body) };
            request.Headers.Add("Idempotency-Key", write.Key);
            return await ObserveAsync(() => client.SendAsync(request));
        }

        public async Task<(HttpStatusCode, JsonElement?)> ObserveAsync(Func<Task<HttpResponseMessage>> send)
        {
            var started = Stopwatch.GetTimestamp();
            using var response = await send();
            var body = await response.Content.ReadAsStringAsync();
            var json = body.Length > 0 && response.Content.Headers.ContentType?.MediaType is "application/json" or "application/problem+json"
                ? JsonDocument.Parse(body).RootElement.Clone() : (JsonElement?)null;
            var errorCode = json is { ValueKind: JsonValueKind.Object } j && j.TryGetProperty("error_code", out var code) ? code.GetString() : null;
            Answers.Enqueue(new Answer(response.StatusCode, DateTime.UtcNow, Stopwatch.GetElapsedTime(started), errorCode, response.Headers.RetryAfter?.Delta));
            return (response.StatusCode, json);
        }

        /// <summary>A lesson, then its register, again and again: each in a room of its own, each writer on a day of its own.</summary>
        public async Task WriteAsync(string rooms, int writer, CancellationToken stop)
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var room = $"{rooms}-{writer}-{i}";
                var startsAt = new DateTimeOffset(2027, 1, 4 + writer, 7, 0, 0, TimeSpan.Zero).AddMinutes(i);
                var lesson = new Write(Lessons, new { course_id = courseId, starts_at = startsAt, ends_at = startsAt.AddMinutes(50), room });
                var mark = i % 2 == 0 ? "present" : "late";
                var (status, body) = await SendAsync(lesson);
                Write? register = null;
                if (IsSuccess(status))
                {
                    lesson.Acknowledged = body;
                    register = new Write($"{Lessons}/{body!.Value.GetProperty("lesson_id").GetInt64()}/attendance",
                        new { marks = students.Select(s => new { student_id = s, status = mark }).ToArray() });
                    var (registered, registerBody) = await SendAsync(register);
                    register.Acknowledged = IsSuccess(registered) ? registerBody : null;
                }
                Writes.Enqueue((lesson, room, register, mark));
            }
        }

        public async Task ReadAsync(CancellationToken stop)
        {
            while (!stop.IsCancellationRequested)
            {
                await ObserveAsync(() => client.GetAsync($"/stats/v1/attendance/summary?school_id={School}&from=2027-01-01&to=2027-01-31"));
                await ObserveAsync(() => client.GetAsync($"{Lessons}?course_id={courseId}&limit=5"));
            }
        }
    }

    private static bool IsSuccess(HttpStatusCode status) => (int)status is >= 200 and < 300;

    [Theory]
    [InlineData("immediate")]
    [InlineData("fast")]
    public async Task AStoppedDatabaseUnderWritesIs503UntilItReturnsThenNothingAcknowledgedIsLostOrDoubled(string mode)
    {
        var (courseId, students) = await CourseAsync();
        var clients = new List<HttpClient>();
        for (var i = 0; i < 6; i++)
        {
            clients.Add(await app.CreateClientWithScopesAsync([School], Scopes.LessonsRead, Scopes.LessonsWrite, Scopes.AttendanceRead, Scopes.AttendanceWrite));
        }
        var loads = clients.Select(c => new Load(c, courseId, students)).ToList();
        using var stop = new CancellationTokenSource();
        var running = loads.Take(4).Select((load, writer) => Task.Run(() => load.WriteAsync(mode, writer, stop.Token)))
            .Concat(loads.Skip(4).Select(load => Task.Run(() => load.ReadAsync(stop.Token)))).ToList();

        // Each step waits for what the clients see, not for a length of time: a busy machine only makes it slower.
        await UntilAsync(() => loads.Take(4).All(l => l.Answers.Any(a => IsSuccess(a.Status))), "every writer has written");
        await app.Cluster.StopAsync(mode);
        var stopped = DateTime.UtcNow;
        await UntilAsync(() => loads.Any(l => l.Answers.Any(a => a.Status == HttpStatusCode.ServiceUnavailable)), "a request was answered 503");
        await app.Cluster.StartAsync();
        var restarted = DateTime.UtcNow;
        await UntilAsync(() => loads.All(l => l.Answers.Any(a => IsSuccess(a.Status) && a.At > restarted)), "every client was served again");
        await stop.CancelAsync();
        await Task.WhenAll(running);

        var answers = loads.SelectMany(l => l.Answers).ToList();
        Assert.All(answers, a => Assert.True(IsSuccess(a.Status) || a.Status == HttpStatusCode.ServiceUnavailable, $"{a.Status} {a.ErrorCode}"));
        Assert.Contains(answers, a => a.Status == HttpStatusCode.ServiceUnavailable);
        Assert.All(answers.Where(a => a.Status == HttpStatusCode.ServiceUnavailable), a =>
        {
            Assert.Equal("database_unavailable", a.ErrorCode);
            Assert.NotNull(a.RetryAfter);
        });
        Assert.All(answers, a => Assert.True(a.Took < LongestAnswer, $"An answer took {a.Took}."));
        Assert.Contains(answers, a => IsSuccess(a.Status) && a.At < stopped);
        var firstAfter = answers.Where(a => IsSuccess(a.Status) && a.At > restarted).Min(a => (DateTime?)a.At);
        Assert.True(firstAfter - restarted <= Recovery, $"The first success came {firstAfter - restarted} after the database returned.");

        // The client's part: what was not acknowledged is sent again with its key, until it is.
        var writes = loads.SelectMany(l => l.Writes.Select(w => (Load: l, w.Lesson, w.Room, w.Register, w.Mark))).ToList();
        foreach (var (load, lesson, _, register, _) in writes)
        {
            lesson.Acknowledged ??= await RetryAsync(load, lesson);
            if (register is not null)
            {
                register.Acknowledged ??= await RetryAsync(load, register);
            }
        }

        await using var connection = await app.DataSource.OpenConnectionAsync();
        var rooms = (await connection.QueryAsync<(string Room, long Lessons, long LessonId)>(
            "select room, count(*), min(lesson_id) from lessons where school_id = @School and room like @rooms group by room", new { School, rooms = mode + "-%" }))
            .ToDictionary(r => r.Room);
        Assert.Equal(writes.Count, rooms.Count);
        Assert.All(writes, w =>
        {
            Assert.Equal(1, rooms[w.Room].Lessons);
            Assert.Equal(rooms[w.Room].LessonId, w.Lesson.Acknowledged!.Value.GetProperty("lesson_id").GetInt64());
        });
        foreach (var (_, lesson, _, _, mark) in writes.Where(w => w.Register is not null))
        {
            var marked = await connection.ExecuteScalarAsync<long>(
                "select count(*) from attendance_records where school_id = @School and lesson_id = @lesson and status = @mark",
                new { School, lesson = lesson.Acknowledged!.Value.GetProperty("lesson_id").GetInt64(), mark });
            Assert.Equal(students.Length, marked);
        }
        Assert.Equal(0, await Rollups.MismatchesAsync(connection));
    }

    private static async Task<JsonElement> RetryAsync(Load load, Write write)
    {
        for (var attempt = 0; attempt < 20; attempt++)
        {
            var (status, body) = await load.SendAsync(write);
            if (IsSuccess(status))
            {
                return body!.Value;
            }
            await Task.Delay(250);
        }
        throw new InvalidOperationException($"{write.Path} was never acknowledged.");
    }

    private async Task<(long CourseId, long[] Students)> CourseAsync()
    {
        await using var connection = await app.DataSource.OpenConnectionAsync();
        var course = await connection.QueryFirstAsync<long>(
            "select course_id from courses where school_id = @School and exists (select 1 from enrolments e where e.school_id = courses.school_id and e.course_id = courses.course_id) order by course_id",
            new { School });
        var students = (await connection.QueryAsync<long>(
            "select student_id from enrolments where school_id = @School and course_id = @course order by student_id", new { School, course })).ToArray();
        return (course, students);
    }
}
