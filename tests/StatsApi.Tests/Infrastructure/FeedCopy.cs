using System.Globalization;
using System.Net;
using System.Text.Json;
using Dapper;
using Npgsql;

namespace StatsApi.Tests.Infrastructure;

/// <summary>
/// A client's copy of one school kept from the change feed, as an integrator keeps it: each object under its
/// key, replaced by an upsert and removed by a delete. Objects are compared in a canonical form that the
/// server's rows (<see cref="ServerAsync"/>) take too.
/// </summary>
public sealed class FeedCopy
{
    private readonly Dictionary<string, string> _objects = new(StringComparer.Ordinal);

    public string School { get; }

    public string Cursor { get; private set; } = "";

    public FeedCopy(string school) => School = school;

    private FeedCopy(FeedCopy other)
    {
        School = other.School;
        Cursor = other.Cursor;
        _objects = new Dictionary<string, string>(other._objects, StringComparer.Ordinal);
    }

    public FeedCopy Clone() => new(this);

    public IReadOnlyDictionary<string, string> Objects => _objects;

    /// <summary>Reads pages until one says no more follow; returns the copies as they stood after each page.</summary>
    public async Task<List<FeedCopy>> CatchUpAsync(HttpClient client, int limit = 50, string? types = null)
    {
        var pages = new List<FeedCopy>();
        while (true)
        {
            var query = $"/v1/schools/{School}/changes?limit={limit}" + (Cursor.Length > 0 ? $"&after={Cursor}" : "") + (types is null ? "" : $"&types={types}");
            var response = await client.GetAsync(query);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{query}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            var page = await response.JsonAsync();
            foreach (var change in page.GetProperty("data").EnumerateArray())
            {
                Apply(change);
            }
            Cursor = page.GetProperty("cursor").GetString()!;
            pages.Add(Clone());
            if (!page.GetProperty("has_more").GetBoolean())
            {
                return pages;
            }
        }
    }

    public void Apply(JsonElement change)
    {
        Assert.Equal(School, change.GetProperty("school_id").GetString());
        var type = change.GetProperty("object").GetString()!;
        var key = change.GetProperty("key");
        long K(string name) => key.GetProperty(name).GetInt64();
        var id = type switch
        {
            "lesson" => $"lesson:{K("lesson_id")}",
            "mark" => $"mark:{K("lesson_id")}:{K("student_id")}",
            "enrolment" => $"enrolment:{K("course_id")}:{K("student_id")}",
            "user" => $"user:{K("user_id")}",
            "course" => $"course:{K("course_id")}",
            _ => throw new InvalidOperationException(type),
        };
        if (change.GetProperty("action").GetString() == "delete")
        {
            Assert.False(change.TryGetProperty("data", out var data) && data.ValueKind != JsonValueKind.Null, $"a tombstone carries no data: {change}");
            _objects.Remove(id);
            return;
        }
        var d = change.GetProperty("data");
        if (d.TryGetProperty("school_id", out var school))
        {
            Assert.Equal(School, school.GetString());
        }
        string S(string name) => d.GetProperty(name).ValueKind == JsonValueKind.Null ? "" : d.GetProperty(name).ToString();
        _objects[id] = type switch
        {
            "lesson" => $"{S("course_id")}|{S("teacher_id")}|{S("room")}|{S("marks")}|{d.GetProperty("starts_at").GetDateTimeOffset().ToUnixTimeSeconds()}",
            "mark" => S("status"),
            "enrolment" => S("enrolled_on"),
            "user" => $"{S("role")}|{S("family_name")}|{S("active").ToLowerInvariant()}",
            _ => $"{S("code")}|{S("name")}|{S("teacher_id")}",
        };
    }

    /// <summary>The school's objects as the database holds them, in the copy's canonical form.</summary>
    public static async Task<Dictionary<string, string>> ServerAsync(NpgsqlConnection connection, string school)
    {
        var rows = await connection.QueryAsync<(string Id, string Value)>("""
            select 'lesson:' || l.lesson_id, l.course_id || '|' || l.teacher_id || '|' || coalesce(l.room, '') || '|'
                   || (select count(*) from attendance_records a where a.school_id = l.school_id and a.lesson_id = l.lesson_id) || '|'
                   || extract(epoch from l.starts_at)::bigint
            from lessons l where l.school_id = @school
            union all
            select 'mark:' || lesson_id || ':' || student_id, status from attendance_records where school_id = @school
            union all
            select 'enrolment:' || course_id || ':' || student_id, to_char(enrolled_on, 'YYYY-MM-DD') from enrolments where school_id = @school
            union all
            select 'user:' || user_id, role || '|' || family_name || '|' || active from users where school_id = @school
            union all
            select 'course:' || course_id, code || '|' || name || '|' || coalesce(teacher_id::text, '') from courses where school_id = @school
            """, new { school });
        return rows.ToDictionary(r => r.Id, r => r.Value, StringComparer.Ordinal);
    }

    /// <summary>
    /// Follows the feed until the copy equals the server's rows: the feed serves a change once every transaction
    /// that began before it has ended, and other tests' transactions on the same cluster hold that back a while.
    /// </summary>
    public async Task CatchUpWithAsync(HttpClient client, NpgsqlConnection connection, string what, int limit = 50, List<FeedCopy>? pages = null)
    {
        var deadline = DateTime.UtcNow.AddMinutes(1);
        while (true)
        {
            var read = await CatchUpAsync(client, limit);
            pages?.AddRange(read);
            var server = await ServerAsync(connection, School);
            if (DateTime.UtcNow > deadline || (server.Count == _objects.Count && server.All(e => _objects.TryGetValue(e.Key, out var v) && v == e.Value)))
            {
                AssertSame(server, _objects, what);
                return;
            }
            await Task.Delay(100);
        }
    }

    public static void AssertSame(IReadOnlyDictionary<string, string> expected, IReadOnlyDictionary<string, string> actual, string what)
    {
        var missing = expected.Where(e => !actual.TryGetValue(e.Key, out var v) || v != e.Value).Select(e => $"{e.Key}={e.Value} (copy: {actual.GetValueOrDefault(e.Key) ?? "none"})").Take(10).ToList();
        var extra = actual.Keys.Except(expected.Keys).Take(10).ToList();
        Assert.True(missing.Count == 0 && extra.Count == 0,
            $"{what}: differs from the server; wrong or missing: {string.Join(", ", missing)}; extra: {string.Join(", ", extra)}");
    }

    public static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
