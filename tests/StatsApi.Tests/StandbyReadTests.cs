using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.Extensions.Hosting;
using Npgsql;
using StatsApi.Tests.Infrastructure;
using StatsApi.Standbys;
using StatsApi.Tokens;

namespace StatsApi.Tests;

/// <summary>
/// Reads on a hot standby: integrators read there, while writes, a writer's own reads and a person's
/// tool go to the primary; a standby too far behind is skipped, and one that stops fails no request.
/// The paused standby is how a test tells who answered: it still holds what the primary has changed.
/// </summary>
[LongRunning(10)]
public class StandbyReadTests(StandbyPair pair) : IClassFixture<StandbyPair>
{
    private const string School = "oakwood-primary";
    private const string SchoolPath = $"/v1/schools/{School}";
    private const string Lessons = $"{SchoolPath}/lessons";

    // Far longer than a test: a paused standby stays within it, and keeps serving reads.
    private const int LongBound = 3600;

    private static readonly string[] ReaderScopes = [Scopes.SchoolsRead, Scopes.LessonsRead, Scopes.AttendanceRead, Scopes.CoursesRead, Scopes.UsersRead];

    private sealed record Course(long CourseId, long TeacherId);

    private Task<Course> CourseAsync() => pair.OnPrimaryAsync<Course>(
        "select course_id, teacher_id from courses where school_id = @School and teacher_id is not null order by course_id limit 1", new { School });

    private Task<int> RenameSchoolAsync(string name) =>
        pair.OnPrimaryAsync<int>("update schools set name = @name where school_id = @School returning 1", new { name, School });

    private static async Task<string> SchoolNameAsync(HttpClient client)
    {
        var response = await client.GetAsync(SchoolPath);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.JsonAsync()).GetProperty("name").GetString()!;
    }

    private static async Task<string> CreateLessonAsync(HttpClient writer, long courseId)
    {
        var startsAt = new DateTimeOffset(2027, 3, 1, 9, 0, 0, TimeSpan.Zero).AddMinutes(Random.Shared.Next(100_000));
        var created = await writer.PostAsJsonAsync(Lessons, new { course_id = courseId, starts_at = startsAt, ends_at = startsAt.AddMinutes(50), room = "S1" });
        // A standby refuses every write: this one reached the primary, though the standby is named first.
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return $"{Lessons}/{(await created.JsonAsync()).GetProperty("lesson_id").GetInt64()}";
    }

    private static HttpClient WithToken(StatsApiFactory app, string token)
    {
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    private static bool LagReported(StatsApiFactory app) => app.Logs.Entries.Any(e =>
        e.Category == typeof(StandbyMonitor).FullName && e.Message.Contains("behind the primary", StringComparison.Ordinal));

    private static string NewName() => "Renamed " + Guid.NewGuid().ToString("N")[..8];

    [Fact]
    public async Task IntegratorsReadOnTheStandbyWhileWritesTheWritersReadsAndPersonsToolsGoToThePrimary()
    {
        await using var app = new StandbyPairFactory(pair, LongBound);
        var course = await CourseAsync();
        var reader = await app.CreateClientWithScopesAsync([School], ReaderScopes);
        var writer = await app.CreateClientWithScopesAsync([School], Scopes.LessonsRead, Scopes.LessonsWrite);
        var teacher = await app.ActAsAsync(School, course.TeacherId);
        await pair.WaitForReplayAsync();
        await app.WaitUntilStandbyServesReadsAsync();
        var before = await SchoolNameAsync(reader);

        await pair.PauseReplayAsync();
        string lesson;
        var renamed = NewName();
        try
        {
            await RenameSchoolAsync(renamed);
            lesson = await CreateLessonAsync(writer, course.CourseId);

            Assert.Equal(before, await SchoolNameAsync(reader));
            Assert.Equal(HttpStatusCode.NotFound, (await reader.GetAsync(lesson)).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await writer.GetAsync(lesson)).StatusCode);
            Assert.Equal(renamed, await SchoolNameAsync(teacher));
        }
        finally
        {
            await pair.ResumeReplayAsync();
        }
        await pair.WaitForReplayAsync();
        Assert.Equal(HttpStatusCode.OK, (await reader.GetAsync(lesson)).StatusCode);
        Assert.Equal(renamed, await SchoolNameAsync(reader));
    }

    [Fact]
    public async Task AClientThatWroteThroughOneInstanceReadsItsWriteThroughAnother()
    {
        await using var first = new StandbyPairFactory(pair, LongBound);
        first.With("Redis:Configuration", TestRedis.Configuration);
        await using var second = new StandbyPairFactory(pair, LongBound);
        second.With("Redis:Configuration", TestRedis.Configuration);
        var course = await CourseAsync();
        var token = await first.GetTokenAsync(await first.CreateClientAsync([School], [Scopes.LessonsRead, Scopes.LessonsWrite]));
        var reader = await second.CreateClientWithScopesAsync([School], ReaderScopes);
        await pair.WaitForReplayAsync();
        await second.WaitUntilStandbyServesReadsAsync();

        await pair.PauseReplayAsync();
        try
        {
            var lesson = await CreateLessonAsync(WithToken(first, token), course.CourseId);

            Assert.Equal(HttpStatusCode.OK, (await WithToken(second, token).GetAsync(lesson)).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await reader.GetAsync(lesson)).StatusCode);
        }
        finally
        {
            await pair.ResumeReplayAsync();
        }
        await pair.WaitForReplayAsync();
    }

    [Fact]
    public async Task AStandbyFurtherBehindThanTheBoundIsSkippedUntilItCatchesUp()
    {
        await using var app = new StandbyPairFactory(pair, 1);
        var reader = await app.CreateClientWithScopesAsync([School], ReaderScopes);
        await pair.WaitForReplayAsync();
        await app.WaitUntilStandbyServesReadsAsync();
        var before = await SchoolNameAsync(reader);

        await pair.PauseReplayAsync();
        var renamed = NewName();
        try
        {
            await RenameSchoolAsync(renamed);
            var clock = Stopwatch.StartNew();
            var seen = await SchoolNameAsync(reader);
            while (seen != renamed && clock.Elapsed < TimeSpan.FromSeconds(10))
            {
                await Task.Delay(50);
                seen = await SchoolNameAsync(reader);
            }

            Assert.Equal(renamed, seen);
            // The bound of 1 s, a poll every 250 ms, and room for a busy machine.
            Assert.InRange(clock.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(5));
            Assert.Equal(before, await pair.OnStandbyAsync<string>("select name from schools where school_id = @School", new { School }));
            Assert.False(app.Monitor.StandbysReadable);
            // The primary may answer before the warning, from the moment the standby could be a second behind.
            for (var attempt = 0; attempt < 100 && !LagReported(app); attempt++)
            {
                await Task.Delay(50);
            }
            Assert.True(LagReported(app));
        }
        finally
        {
            await pair.ResumeReplayAsync();
        }
        await app.WaitUntilStandbyServesReadsAsync();
        Assert.Equal(renamed, await SchoolNameAsync(reader));
    }

    [Fact]
    public async Task AStandbyThatStopsMidwayFailsNoRead()
    {
        await using var app = new StandbyPairFactory(pair, 5);
        var reader = await app.CreateClientWithScopesAsync([School], ReaderScopes);
        await pair.WaitForReplayAsync();
        await app.WaitUntilStandbyServesReadsAsync();
        string[] paths =
        [
            SchoolPath,
            $"{Lessons}?limit=5",
            $"{SchoolPath}/users?limit=5",
            $"/stats/v1/attendance/summary?school_id={School}&from=2026-09-01&to=2026-09-30",
        ];
        var answers = new ConcurrentQueue<(string Path, HttpStatusCode Status)>();
        using var stop = new CancellationTokenSource();
        async Task ReadAsync(string path)
        {
            while (!stop.IsCancellationRequested)
            {
                using var response = await reader.GetAsync(path);
                answers.Enqueue((path, response.StatusCode));
            }
        }

        var readers = paths.Select(path => Task.Run(() => ReadAsync(path))).ToArray();
        try
        {
            await Task.Delay(500);
            // The monitor holds one connection to the standby; the reads hold the others.
            Assert.True(await pair.OnStandbyAsync<long>(
                "select count(*) from pg_stat_activity where datname = 'statsapi' and backend_type = 'client backend' and pid <> pg_backend_pid()") > 1);
            await pair.Standby.StopAsync();
            await Task.Delay(1500);
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(readers);
            await pair.Standby.StartAsync();
        }

        Assert.NotEmpty(answers);
        Assert.All(answers, answer => Assert.Equal((answer.Path, HttpStatusCode.OK), answer));
        await pair.WaitForReplayAsync();
        await app.WaitUntilStandbyServesReadsAsync();
    }
}

public class OneHostReadTests(StatsApiFactory app) : IClassFixture<StatsApiFactory>
{
    [Fact]
    public void AOneHostConnectionStringKeepsOneDataSourceAndAsksNothingMore()
    {
        Assert.IsNotType<NpgsqlMultiHostDataSource>(app.Services.GetRequiredService<NpgsqlDataSource>(), exactMatch: false);
        Assert.False(app.Services.GetRequiredService<ReadRouting>().Enabled);
        Assert.DoesNotContain(app.Services.GetServices<IHostedService>(), service => service is StandbyMonitor);
        Assert.Null(app.Services.GetService<RecentWrites>());
    }
}
