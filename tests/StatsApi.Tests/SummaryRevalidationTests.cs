using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using StatsApi.Tests.Infrastructure;
using StatsApi.Tokens;

namespace StatsApi.Tests;

/// <summary>
/// A summary's ETag and If-None-Match: a poll of an unchanged summary is answered 304, and never once
/// anything the summary answers has changed, for another question, another school, or a token that
/// may not read that school.
/// </summary>
public class SummaryRevalidationTests(StatsApiFactory app) : IClassFixture<StatsApiFactory>
{
    private const string Oakwood = "oakwood-primary";
    private const string Ravenscroft = "ravenscroft-high";
    private const string September = "from=2026-09-01&to=2026-09-30";
    private static readonly ContractDocument Contract = ContractDocument.Load();

    private static string Summary(string school, string query = September) => $"/stats/v1/attendance/summary?school_id={school}&{query}";

    private static async Task<HttpResponseMessage> PollAsync(HttpClient client, string path, string? ifNoneMatch)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (ifNoneMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-None-Match", ifNoneMatch);
        }
        return await client.SendAsync(request);
    }

    /// <summary>A 200 with a strong ETag, to be revalidated, and its body.</summary>
    private static async Task<(string ETag, JsonElement Body)> AnsweredAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var etag = response.Headers.ETag;
        Assert.NotNull(etag);
        Assert.False(etag.IsWeak);
        Assert.True(response.Headers.CacheControl is { Private: true, NoCache: true, NoStore: false }, $"Cache-Control: {response.Headers.CacheControl}");
        return (etag.Tag, await response.JsonAsync());
    }

    private static async Task<(string ETag, JsonElement Body)> ReadAsync(HttpClient client, string path, string? ifNoneMatch = null) =>
        await AnsweredAsync(await PollAsync(client, path, ifNoneMatch));

    private static async Task AssertNotModifiedAsync(HttpResponseMessage response, string etag)
    {
        Assert.Equal(HttpStatusCode.NotModified, response.StatusCode);
        Assert.Equal(etag, response.Headers.ETag?.Tag);
        Assert.False(response.Headers.ETag!.IsWeak);
        Assert.True(response.Headers.CacheControl is { Private: true, NoCache: true });
        Assert.False(string.IsNullOrEmpty(response.Headers.GetValues("X-Request-Id").Single()));
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    private static long Count(JsonElement summary, string status) => summary.GetProperty("totals").GetProperty(status).GetInt64();

    private async Task<HttpClient> WriterAsync(string school) => await app.CreateClientWithScopesAsync([school],
        Scopes.AttendanceRead, Scopes.AttendanceWrite, Scopes.LessonsRead, Scopes.LessonsWrite, Scopes.CoursesWrite);

    private async Task<(long Lesson, long Student, string Status)> AnyMarkAsync(string school)
    {
        await using var connection = await app.DataSource.OpenConnectionAsync();
        return await connection.QueryFirstAsync<(long, long, string)>("""
            select a.lesson_id, a.student_id, a.status from attendance_records a
            join lessons l on l.school_id = a.school_id and l.lesson_id = a.lesson_id
            where a.school_id = @school and l.starts_at between '2026-09-02' and '2026-09-20'
            order by a.lesson_id, a.student_id
            """, new { school });
    }

    [Fact]
    public async Task ARepeatedPollIsAnswered304WithoutABodyAsTheContractSays()
    {
        var client = await app.CreateClientForSchoolsAsync(Oakwood);
        var first = await PollAsync(client, Summary(Oakwood), null);
        var (etag, _) = await AnsweredAsync(first);

        var again = await PollAsync(client, Summary(Oakwood), etag);

        await AssertNotModifiedAsync(again, etag);
        Assert.Empty(Contract.Check(Contract["GetAttendanceSummary"], first, await first.Content.ReadAsStringAsync()));
        Assert.Empty(Contract.Check(Contract["GetAttendanceSummary"], again, ""));
        await AssertNotModifiedAsync(await PollAsync(client, Summary(Oakwood), etag), etag);
    }

    [Fact]
    public async Task AMarkRecordedCorrectedOrDeletedThroughTheApiIsAnsweredWithTheNewCounts()
    {
        var reader = await app.CreateClientForSchoolsAsync(Oakwood);
        var writer = await WriterAsync(Oakwood);
        var (lesson, student, status) = await AnyMarkAsync(Oakwood);
        var other = status == "excused" ? "late" : "excused";
        var mark = $"/v1/schools/{Oakwood}/lessons/{lesson}/attendance/{student}";
        var (etag, before) = await ReadAsync(reader, Summary(Oakwood));

        Assert.Equal(HttpStatusCode.OK, (await writer.PatchAsJsonAsync(mark, new { status = other })).StatusCode);
        var (corrected, afterCorrection) = await ReadAsync(reader, Summary(Oakwood), etag);
        Assert.NotEqual(etag, corrected);
        Assert.Equal(Count(before, status) - 1, Count(afterCorrection, status));
        Assert.Equal(Count(before, other) + 1, Count(afterCorrection, other));

        Assert.Equal(HttpStatusCode.NoContent, (await writer.DeleteAsync(mark)).StatusCode);
        var (deleted, afterDelete) = await ReadAsync(reader, Summary(Oakwood), corrected);
        Assert.NotEqual(corrected, deleted);
        Assert.Equal(Count(afterCorrection, "records") - 1, Count(afterDelete, "records"));

        var register = await writer.PostAsJsonAsync($"/v1/schools/{Oakwood}/lessons/{lesson}/attendance", new { marks = new[] { new { student_id = student, status } } });
        Assert.Equal(HttpStatusCode.OK, register.StatusCode);
        var (recorded, afterRegister) = await ReadAsync(reader, Summary(Oakwood), deleted);
        Assert.DoesNotContain(recorded, new[] { etag, corrected, deleted });
        Assert.Equal(Count(afterDelete, status) + 1, Count(afterRegister, status));
        Assert.Equal(Count(before, "records"), Count(afterRegister, "records"));
        await AssertNotModifiedAsync(await PollAsync(reader, Summary(Oakwood), recorded), recorded);
    }

    [Fact]
    public async Task ALessonMovedOrDeletedThroughTheApiIsAnsweredWithTheNewCountsAndAChangedRoomIsNot()
    {
        var reader = await app.CreateClientForSchoolsAsync(Oakwood);
        var writer = await WriterAsync(Oakwood);
        var (lesson, _, _) = await AnyMarkAsync(Oakwood);
        var path = $"/v1/schools/{Oakwood}/lessons/{lesson}";
        var current = await (await writer.GetAsync(path)).JsonAsync();
        var startsAt = current.GetProperty("starts_at").GetDateTimeOffset();
        var marks = current.GetProperty("marks").GetInt64();
        var byDay = Summary(Oakwood, $"{September}&group_by=day");
        long RecordsOn(JsonElement summary, DateTimeOffset day) => summary.GetProperty("groups").EnumerateArray()
            .Where(g => g.GetProperty("key").GetString() == $"{day:yyyy-MM-dd}").Sum(g => g.GetProperty("counts").GetProperty("records").GetInt64());
        var (etag, before) = await ReadAsync(reader, byDay);

        Assert.Equal(HttpStatusCode.OK, (await writer.PatchAsJsonAsync(path, new { room = "Z9" })).StatusCode);
        await AssertNotModifiedAsync(await PollAsync(reader, byDay, etag), etag);

        var moved = await writer.PatchAsJsonAsync(path, new { starts_at = startsAt.AddDays(7), ends_at = current.GetProperty("ends_at").GetDateTimeOffset().AddDays(7) });
        Assert.Equal(HttpStatusCode.OK, moved.StatusCode);
        var (afterMove, after) = await ReadAsync(reader, byDay, etag);
        Assert.NotEqual(etag, afterMove);
        Assert.Equal(RecordsOn(before, startsAt) - marks, RecordsOn(after, startsAt));
        Assert.Equal(Count(before, "records"), Count(after, "records"));

        using var delete = new HttpRequestMessage(HttpMethod.Delete, $"{path}?cascade=true");
        delete.Headers.IfMatch.Add(moved.Headers.ETag!);
        Assert.Equal(HttpStatusCode.NoContent, (await writer.SendAsync(delete)).StatusCode);
        var (afterDelete, deleted) = await ReadAsync(reader, byDay, afterMove);
        Assert.NotEqual(afterMove, afterDelete);
        Assert.Equal(Count(after, "records") - marks, Count(deleted, "records"));
    }

    [Fact]
    public async Task ACourseRenamedThroughTheApiIsAnsweredWithItsNewName()
    {
        var reader = await app.CreateClientForSchoolsAsync(Oakwood);
        var byCourse = Summary(Oakwood, $"{September}&group_by=course");
        var (etag, before) = await ReadAsync(reader, byCourse);
        var course = before.GetProperty("groups")[0].GetProperty("course_id").GetInt64();

        var renamed = await (await WriterAsync(Oakwood)).PatchAsJsonAsync($"/v1/schools/{Oakwood}/courses/{course}", new { name = "Renamed Mathematics" });
        Assert.Equal(HttpStatusCode.OK, renamed.StatusCode);

        var (_, after) = await ReadAsync(reader, byCourse, etag);
        Assert.Contains(after.GetProperty("groups").EnumerateArray(), g => g.GetProperty("course_name").GetString() == "Renamed Mathematics");
    }

    [Fact]
    public async Task ATimeZoneChangeThatMovesEveryLessonIsAnsweredWithTheNewDays()
    {
        const string school = "lakeside-academy";
        var reader = await app.CreateClientForSchoolsAsync(school);
        var byDay = Summary(school, $"{September}&group_by=day");
        var (etag, before) = await ReadAsync(reader, byDay);

        await using (var connection = await app.DataSource.OpenConnectionAsync())
        {
            await connection.ExecuteAsync("update schools set time_zone = 'Pacific/Kiritimati' where school_id = @school", new { school });
        }

        var (_, after) = await ReadAsync(reader, byDay, etag);
        Assert.NotEqual(before.GetProperty("groups").GetRawText(), after.GetProperty("groups").GetRawText());
    }

    [Fact]
    public async Task OneSchoolsETagIsAnswered200OnAnotherSchoolsSummary()
    {
        var client = await app.CreateClientForSchoolsAsync(Oakwood, Ravenscroft);
        var (oakwood, _) = await ReadAsync(client, Summary(Oakwood));
        var (ravenscroft, _) = await ReadAsync(client, Summary(Ravenscroft));

        var (answered, _) = await ReadAsync(client, Summary(Ravenscroft), oakwood);

        Assert.Equal(ravenscroft, answered);
        Assert.NotEqual(oakwood, ravenscroft);
        await ReadAsync(client, Summary(Oakwood), ravenscroft);
    }

    [Fact]
    public async Task ATokenNotApprovedForTheSchoolIsRefused403WhateverItsIfNoneMatch()
    {
        var (ravenscroft, _) = await ReadAsync(await app.CreateClientForSchoolsAsync(Ravenscroft), Summary(Ravenscroft));
        var outsider = await app.CreateClientForSchoolsAsync(Oakwood);
        var (oakwood, _) = await ReadAsync(outsider, Summary(Oakwood));

        foreach (var ifNoneMatch in new[] { ravenscroft, "*", oakwood, $"W/{ravenscroft}", $"{oakwood}, {ravenscroft}" })
        {
            var response = await PollAsync(outsider, Summary(Ravenscroft), ifNoneMatch);

            await response.AssertProblemAsync(HttpStatusCode.Forbidden, "school_not_approved");
            Assert.Null(response.Headers.ETag);
        }
    }

    [Theory]
    [InlineData("from=2026-09-01&to=2026-09-30&group_by=week")]
    [InlineData("from=2026-09-01&to=2026-09-30&group_by=day")]
    [InlineData("from=2026-09-02&to=2026-09-30")]
    [InlineData("from=2026-09-01&to=2026-09-29")]
    public async Task AnotherQuestionWithTheSameIfNoneMatchIsAnswered200(string query)
    {
        var client = await app.CreateClientForSchoolsAsync(Oakwood);
        var (etag, _) = await ReadAsync(client, Summary(Oakwood));

        var (other, _) = await ReadAsync(client, Summary(Oakwood, query), etag);

        Assert.NotEqual(etag, other);
    }

    [Fact]
    public async Task AnotherFilterWithTheSameIfNoneMatchIsAnswered200()
    {
        var client = await app.CreateClientForSchoolsAsync(Oakwood);
        await using var connection = await app.DataSource.OpenConnectionAsync();
        var (course, teacher, student) = await connection.QueryFirstAsync<(long, long, long)>("""
            select l.course_id, l.teacher_id, a.student_id from attendance_records a
            join lessons l on l.school_id = a.school_id and l.lesson_id = a.lesson_id
            where a.school_id = @Oakwood order by a.lesson_id, a.student_id
            """, new { Oakwood });
        var (etag, _) = await ReadAsync(client, Summary(Oakwood));
        var tags = new HashSet<string> { etag };

        foreach (var filter in new[] { $"course_id={course}", $"teacher_id={teacher}", $"student_id={student}", $"course_id={course}&teacher_id={teacher}" })
        {
            var (other, _) = await ReadAsync(client, Summary(Oakwood, $"{September}&{filter}"), etag);
            Assert.True(tags.Add(other), $"{filter} answered a tag already seen");
        }
    }

    [Theory]
    [InlineData("W/\"v1-0123456789abcdef0123456789abcdef\"")]
    [InlineData("garbage")]
    [InlineData("\"unterminated")]
    [InlineData("\"\"")]
    [InlineData("\"v99999999999999999999999-0123\"")]
    [InlineData("\"v-1-x\", W/")]
    [InlineData(", , ,")]
    public async Task AWeakOrUnreadableIfNoneMatchIsAnswered200(string ifNoneMatch)
    {
        var client = await app.CreateClientForSchoolsAsync(Oakwood);

        var (_, body) = await ReadAsync(client, Summary(Oakwood), ifNoneMatch);

        Assert.True(Count(body, "records") > 0);
    }

    [Fact]
    public async Task IfNoneMatchComparesWeaklyAndMatchesAnyTagOfItsList()
    {
        var client = await app.CreateClientForSchoolsAsync(Oakwood);
        var (etag, _) = await ReadAsync(client, Summary(Oakwood));

        // RFC 9110 13.1.2: If-None-Match uses the weak comparison, so a weakened copy of the tag (a proxy's) matches it.
        await AssertNotModifiedAsync(await PollAsync(client, Summary(Oakwood), $"W/{etag}"), etag);
        await AssertNotModifiedAsync(await PollAsync(client, Summary(Oakwood), $"\"v1-stale\", {etag}"), etag);
        await ReadAsync(client, Summary(Oakwood), etag.Replace("\"v", "\"v0", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AStarIsAnswered304ForASummaryThatExistsAndNeverTurnsAnErrorInto304()
    {
        var client = await app.CreateClientForSchoolsAsync(Oakwood);
        var (etag, _) = await ReadAsync(client, Summary(Oakwood));

        // RFC 9110 13.1.2: * matches any current representation; 13.2.1: only a 2xx answer is evaluated against it.
        await AssertNotModifiedAsync(await PollAsync(client, Summary(Oakwood), "*"), etag);
        await (await PollAsync(client, Summary(Oakwood, $"{September}&course_id=999999999"), "*")).AssertProblemAsync(HttpStatusCode.NotFound, "course_not_found");
        await (await PollAsync(client, Summary(Oakwood, "from=2026-09-30&to=2026-09-01"), "*")).AssertProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
    }

    [Fact]
    public async Task TheFiltersAreCheckedEvenWhenTheETagIsCurrent()
    {
        var client = await app.CreateClientForSchoolsAsync(Ravenscroft);
        await using var connection = await app.DataSource.OpenConnectionAsync();
        var teacher = await connection.ExecuteScalarAsync<long>(
            "select max(teacher_id) from lessons where school_id = @Ravenscroft", new { Ravenscroft });
        var byTeacher = Summary(Ravenscroft, $"{September}&teacher_id={teacher}");
        var (etag, _) = await ReadAsync(client, byTeacher);

        // No write of the API changes a role; whatever does, the check of the filter runs on every poll.
        await connection.ExecuteAsync("update users set role = 'admin' where school_id = @Ravenscroft and user_id = @teacher", new { Ravenscroft, teacher });

        await (await PollAsync(client, byTeacher, etag)).AssertProblemAsync(HttpStatusCode.NotFound, "teacher_not_found");
    }
}
