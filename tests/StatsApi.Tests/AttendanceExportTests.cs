using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Dapper;
using StatsApi.Tests.Infrastructure;
using StatsApi.Tokens;

namespace StatsApi.Tests;

public class AttendanceExportTests(StatsApiFactory app) : IClassFixture<StatsApiFactory>
{
    private const string School = "oakwood-primary";
    private const string Export = $"/v1/schools/{School}/attendance/export";

    private async Task<List<string>> ExpectedAsync(string from, string to)
    {
        await using var connection = await app.DataSource.OpenConnectionAsync();
        return (await connection.QueryAsync<string>("""
            select a.lesson_id || ':' || a.student_id from attendance_records a
            join lessons l on l.school_id = a.school_id and l.lesson_id = a.lesson_id join schools s on s.school_id = a.school_id
            where a.school_id = @School and (l.starts_at at time zone s.time_zone)::date between @from::date and @to::date
            order by a.lesson_id, a.student_id
            """, new { School, from, to })).ToList();
    }

    private static List<JsonElement> Lines(string body) =>
        body.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();

    [Fact]
    public async Task AnExportHoldsEveryMarkOfTheRangeInOrderAndIsGzippedWhenAccepted()
    {
        var client = await app.CreateClientWithScopesAsync([School], Scopes.AttendanceRead);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{Export}?from=2026-09-07&to=2026-09-11");
        request.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue("gzip"));
        var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("gzip", response.Content.Headers.ContentEncoding.Single());
        Assert.Equal("application/x-ndjson", response.Content.Headers.ContentType!.MediaType);
        await using var unzipped = new GZipStream(await response.Content.ReadAsStreamAsync(), CompressionMode.Decompress);
        var rows = Lines(await new StreamReader(unzipped).ReadToEndAsync());
        var expected = await ExpectedAsync("2026-09-07", "2026-09-11");
        Assert.NotEmpty(expected);
        Assert.Equal(expected, rows.Select(r => r.GetProperty("mark_id").GetString()!).ToList());
        var first = rows[0];
        foreach (var column in new[] { "lesson_id", "course_id", "course_code", "student_id", "day", "starts_at", "status", "updated_at" })
        {
            Assert.True(first.TryGetProperty(column, out _), column);
        }
        Assert.InRange(DateOnly.Parse(first.GetProperty("day").GetString()!, System.Globalization.CultureInfo.InvariantCulture), new DateOnly(2026, 9, 7), new DateOnly(2026, 9, 11));
    }

    [Fact]
    public async Task AnInterruptedExportResumedFromItsLastMarkYieldsEveryRowExactlyOnce()
    {
        var client = await app.CreateClientWithScopesAsync([School], Scopes.AttendanceRead);
        var expected = await ExpectedAsync("2026-09-01", "2026-10-31");
        var received = new List<string>();

        // The first response is dropped part-way through a line, as a broken connection leaves it.
        using (var response = await client.GetAsync($"{Export}?from=2026-09-01&to=2026-10-31", HttpCompletionOption.ResponseHeadersRead))
        {
            await using var stream = await response.Content.ReadAsStreamAsync();
            var buffer = new byte[100_003];
            var read = 0;
            while (read < buffer.Length && await stream.ReadAsync(buffer.AsMemory(read)) is var n and > 0)
            {
                read += n;
            }
            var text = Encoding.UTF8.GetString(buffer, 0, read);
            received.AddRange(Lines(text[..(text.LastIndexOf('\n') + 1)]).Select(r => r.GetProperty("mark_id").GetString()!));
        }
        Assert.InRange(received.Count, 1, expected.Count - 1);
        while (true)
        {
            var part = Lines(await client.GetStringAsync($"{Export}?from=2026-09-01&to=2026-10-31&limit=7000&after={received[^1]}"))
                .Select(r => r.GetProperty("mark_id").GetString()!).ToList();
            received.AddRange(part);
            if (part.Count < 7000)
            {
                break;
            }
        }
        Assert.Equal(expected, received);
    }

    [Fact]
    public async Task CsvQuotesCommasAndQuotesPerRfc4180()
    {
        var writer = await app.CreateClientWithScopesAsync([School], Scopes.CoursesWrite, Scopes.LessonsWrite, Scopes.AttendanceWrite, Scopes.AttendanceRead);
        var code = $"A,\"B\" {Guid.NewGuid().ToString("N")[..6]}";
        var created = await writer.PostAsJsonAsync($"/v1/schools/{School}/courses", new { code, name = "Quoted" });
        var course = (await created.JsonAsync()).GetProperty("course_id").GetInt64();
        await using var connection = await app.DataSource.OpenConnectionAsync();
        var student = await connection.QuerySingleAsync<long>("select user_id from users where school_id = @School and role = 'student' and active order by user_id limit 1", new { School });
        (await writer.PutAsJsonAsync($"/v1/schools/{School}/courses/{course}/enrolments/{student}", new { })).EnsureSuccessStatusCode();
        var teacher = await connection.QuerySingleAsync<long>("select user_id from users where school_id = @School and role = 'teacher' and active order by user_id limit 1", new { School });
        var start = new DateTimeOffset(2027, 3, 1, 9, 0, 0, TimeSpan.Zero);
        var lesson = await writer.PostAsJsonAsync($"/v1/schools/{School}/lessons", new { course_id = course, teacher_id = teacher, starts_at = start, ends_at = start.AddMinutes(45) });
        var lessonId = (await lesson.JsonAsync()).GetProperty("lesson_id").GetInt64();
        (await writer.PostAsJsonAsync($"/v1/schools/{School}/lessons/{lessonId}/attendance", new { marks = new[] { new { student_id = student, status = "late" } } })).EnsureSuccessStatusCode();

        var response = await writer.GetAsync($"{Export}?from=2027-03-01&to=2027-03-01&format=csv");
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal("text/csv", response.Content.Headers.ContentType!.MediaType);
        var records = Rfc4180(body);
        Assert.Equal(["mark_id", "lesson_id", "course_id", "course_code", "student_id", "day", "starts_at", "status", "updated_at"], records[0]);
        var row = records.Single(r => r[0] == $"{lessonId}:{student}");
        Assert.Equal(code, row[3]);
        Assert.Equal("2027-03-01", row[5]);
        Assert.Equal("late", row[7]);
        Assert.EndsWith("\r\n", body, StringComparison.Ordinal);
        Assert.Contains("\"A,\"\"B\"\" ", body, StringComparison.Ordinal);
        Assert.Equal("\"two\r\nlines, \"\"quoted\"\"\"", StatsApi.Attendance.ExportFormat.Csv.Field("two\r\nlines, \"quoted\""));
        Assert.Equal([["two\r\nlines, \"quoted\""]], Rfc4180("\"two\r\nlines, \"\"quoted\"\"\"\r\n"));
    }

    [Fact]
    public async Task TheExportCostsTheRowsItReadNotTheRowsItMightHave()
    {
        // The free tier's cost quota (120 a minute) holds one export of limit=1,000,000 (100 units) and not two, unless the unread rows are given back.
        var credentials = await app.CreateClientAsync([School], [Scopes.AttendanceRead], tier: "free");
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await app.GetTokenAsync(credentials));
        for (var i = 0; i < 4; i++)
        {
            var response = await client.GetAsync($"{Export}?from=2026-09-07&to=2026-09-07&limit=1000000");
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"export {i}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            await response.Content.ReadAsStringAsync();
        }
    }

    [Theory]
    [InlineData("to=2026-09-11", "from")]
    [InlineData("from=2026-09-11&to=2026-09-01", "to")]
    [InlineData("from=2026-09-01&to=2026-09-11&format=xml", "format")]
    [InlineData("from=2026-09-01&to=2026-09-11&after=abc", "after")]
    [InlineData("from=2026-09-01&to=2026-09-11&limit=0", "limit")]
    public async Task BadInputIsA400NamingTheField(string query, string field)
    {
        var client = await app.CreateClientWithScopesAsync([School], Scopes.AttendanceRead);
        var problem = await (await client.GetAsync($"{Export}?{query}")).AssertProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
    }

    private static List<string[]> Rfc4180(string text)
    {
        var records = new List<string[]>();
        var fields = new List<string>();
        var field = new StringBuilder();
        var i = 0;
        while (i < text.Length)
        {
            if (text[i] == '"')
            {
                i++;
                while (!(text[i] == '"' && (i + 1 == text.Length || text[i + 1] != '"')))
                {
                    field.Append(text[i]);
                    i += text[i] == '"' ? 2 : 1;
                }
                i++;
            }
            else if (text[i] == ',')
            {
                fields.Add(field.ToString());
                field.Clear();
                i++;
            }
            else if (text[i] == '\r' && text[i + 1] == '\n')
            {
                fields.Add(field.ToString());
                field.Clear();
                records.Add([.. fields]);
                fields.Clear();
                i += 2;
            }
            else
            {
                field.Append(text[i++]);
            }
        }
        return records;
    }
}
