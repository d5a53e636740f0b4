using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using StatsApi.Tests.Infrastructure;
using StatsApi.Tokens;

namespace StatsApi.Tests;

/// <summary>
/// The objects every cell of the access table is asked about, made once: two teachers (T teaches course
/// CT and covers lesson LC of O's course CO), three students (S and S2 in CT, S3 in CO), a school admin,
/// and marks in each lesson, on a day of their own (2027-01-11).
/// </summary>
public sealed class AccessTableFactory : StatsApiFactory
{
    public const string School = "oakwood-primary";
    public const string Day = "2027-01-11";

    private readonly SemaphoreSlim _gate = new(1, 1);
    private AccessWorld? _world;

    public async Task<AccessWorld> WorldAsync()
    {
        await _gate.WaitAsync();
        try
        {
            return _world ??= await MakeAsync();
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<AccessWorld> MakeAsync()
    {
        var application = await CreateClientWithScopesAsync([School], [.. Scopes.All.Where(s => s != Scopes.Admin)]);
        var platform = await CreateClientWithScopesAsync([], Scopes.Admin);
        var ids = new Dictionary<string, long>();

        async Task<long> CreateAsync(string path, object body, string id)
        {
            var response = await application.PostAsJsonAsync($"/v1/schools/{School}/{path}", body);
            Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            return (await response.JsonAsync()).GetProperty(id).GetInt64();
        }

        async Task PersonAsync(string key, string role) =>
            ids[key] = await CreateAsync("users", new { role, given_name = key, family_name = "Access" }, "user_id");

        await PersonAsync("T", "teacher");
        await PersonAsync("O", "teacher");
        await PersonAsync("A", "admin");
        await PersonAsync("S", "student");
        await PersonAsync("S2", "student");
        await PersonAsync("S3", "student");
        var suffix = Guid.NewGuid().ToString("N")[..8];
        ids["CT"] = await CreateAsync("courses", new { code = $"T-{suffix}", name = "Taught by T", teacher_id = ids["T"] }, "course_id");
        ids["CO"] = await CreateAsync("courses", new { code = $"O-{suffix}", name = "Taught by O", teacher_id = ids["O"] }, "course_id");
        foreach (var (course, student) in new[] { ("CT", "S"), ("CT", "S2"), ("CO", "S3") })
        {
            (await application.PutAsJsonAsync($"/v1/schools/{School}/courses/{ids[course]}/enrolments/{ids[student]}", new { })).EnsureSuccessStatusCode();
        }
        ids["LT"] = await CreateAsync("lessons", AccessWorld.LessonIn(ids["CT"], Day, 9), "lesson_id");
        ids["LO"] = await CreateAsync("lessons", AccessWorld.LessonIn(ids["CO"], Day, 10), "lesson_id");
        ids["LC"] = await CreateAsync("lessons", AccessWorld.LessonIn(ids["CO"], Day, 11, teacher: ids["T"]), "lesson_id");
        var world = new AccessWorld(ids, application, platform,
            await this.ActAsAsync(School, ids["A"]), await this.ActAsAsync(School, ids["T"]), await this.ActAsAsync(School, ids["S"]));
        foreach (var lesson in new[] { "LT", "LO", "LC" })
        {
            (await application.PostAsJsonAsync($"/v1/schools/{School}/lessons/{ids[lesson]}/attendance", world.RegisterOf(lesson))).EnsureSuccessStatusCode();
        }
        return world;
    }
}

public sealed record AccessWorld(Dictionary<string, long> Ids, HttpClient Application, HttpClient Platform, HttpClient Admin, HttpClient Teacher, HttpClient Student)
{
    public const string Base = $"/v1/schools/{AccessTableFactory.School}";

    // Each lesson's register, the same every time it is recorded: the summary's counts stay put.
    private static readonly Dictionary<string, (string Student, string Status)[]> Registers = new()
    {
        ["LT"] = [("S", "present"), ("S2", "absent")],
        ["LO"] = [("S3", "present")],
        ["LC"] = [("S3", "late")],
    };

    public long this[string key] => Ids[key];

    public HttpClient As(string role) => role switch
    {
        "application" => Application,
        "school admin" => Admin,
        "teacher" => Teacher,
        _ => Student,
    };

    public object RegisterOf(string lesson) =>
        new { marks = Registers[lesson].Select(m => new { student_id = Ids[m.Student], status = m.Status }).ToArray() };

    public static string StatusOf(string lesson, string student) => Registers[lesson].Single(m => m.Student == student).Status;

    public static object LessonIn(long courseId, string day, int hour, long? teacher = null)
    {
        var start = DateTimeOffset.Parse($"{day}T{hour:00}:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
        return teacher is null
            ? new { course_id = courseId, starts_at = start, ends_at = start.AddMinutes(50) }
            : (object)new { course_id = courseId, starts_at = start, ends_at = start.AddMinutes(50), teacher_id = teacher };
    }
}

/// <summary>
/// Every cell of the table in README ("Who may do what") and decision 0007, asked of the running service:
/// for each operation and each caller, an object they may reach and, where the table says so, one they may
/// not, with the answer the table gives.
/// </summary>
public class AccessTableTests(AccessTableFactory app) : IClassFixture<AccessTableFactory>
{
    private const string App = "application";
    private const string Admin = "school admin";
    private const string Teacher = "teacher";
    private const string Student = "student";
    private const string Summary = $"/stats/v1/attendance/summary?school_id={AccessTableFactory.School}&from={AccessTableFactory.Day}&to={AccessTableFactory.Day}";

    /// <summary>Operation, caller, the object asked about, the answer ("200", or the status and error_code).</summary>
    public static TheoryData<string, string, string, string> Cells => new()
    {
        { "read the school", App, "", "200" },
        { "read the school", Admin, "", "200" },
        { "read the school", Teacher, "", "200" },
        { "read the school", Student, "", "200" },

        { "list people", App, "", "200" },
        { "list people", Admin, "", "200" },
        { "list people", Teacher, "", "200" },
        { "list people", Student, "", "200" },

        { "read a person", App, "S2", "200" },
        { "read a person", Admin, "S2", "200" },
        { "read a person", Teacher, "S2", "200" },
        { "read a person", Student, "S", "200" },
        { "read a person", Student, "S2", "404 user_not_found" },

        { "add a person", App, "", "201" },
        { "add a person", Admin, "", "201" },
        { "add a person", Teacher, "", "403 insufficient_scope" },
        { "add a person", Student, "", "403 insufficient_scope" },

        { "change a person", App, "S3", "200" },
        { "change a person", Admin, "S3", "200" },
        { "change a person", Teacher, "S3", "403 insufficient_scope" },
        { "change a person", Student, "S", "403 insufficient_scope" },

        { "list courses", App, "", "200" },
        { "list courses", Admin, "", "200" },
        { "list courses", Teacher, "", "200" },
        { "list courses", Student, "", "200" },

        { "read a course", App, "CO", "200" },
        { "read a course", Admin, "CO", "200" },
        { "read a course", Teacher, "CT", "200" },
        { "read a course", Teacher, "CO", "404 course_not_found" },
        { "read a course", Student, "CT", "200" },
        { "read a course", Student, "CO", "404 course_not_found" },

        { "list a course's enrolments", App, "CO", "200" },
        { "list a course's enrolments", Admin, "CO", "200" },
        { "list a course's enrolments", Teacher, "CT", "200" },
        { "list a course's enrolments", Teacher, "CO", "404 course_not_found" },
        { "list a course's enrolments", Student, "CT", "200" },
        { "list a course's enrolments", Student, "CO", "404 course_not_found" },

        { "change a course", App, "CO", "200" },
        { "change a course", Admin, "CO", "200" },
        { "change a course", Teacher, "CT", "403 insufficient_scope" },
        { "change a course", Student, "CT", "403 insufficient_scope" },

        { "enrol", App, "CT", "200" },
        { "enrol", Admin, "CT", "200" },
        { "enrol", Teacher, "CT", "403 insufficient_scope" },
        { "enrol", Student, "CT", "403 insufficient_scope" },

        { "list lessons", App, "", "200" },
        { "list lessons", Admin, "", "200" },
        { "list lessons", Teacher, "", "200" },
        { "list lessons", Student, "", "200" },

        { "read a lesson", App, "LO", "200" },
        { "read a lesson", Admin, "LO", "200" },
        { "read a lesson", Teacher, "LT", "200" },
        { "read a lesson", Teacher, "LC", "200" },
        { "read a lesson", Teacher, "LO", "404 lesson_not_found" },
        { "read a lesson", Student, "LT", "200" },
        { "read a lesson", Student, "LO", "404 lesson_not_found" },

        { "schedule a lesson", App, "CO", "201" },
        { "schedule a lesson", Admin, "CO", "201" },
        { "schedule a lesson", Teacher, "CT", "201" },
        { "schedule a lesson", Teacher, "CO", "403 not_your_course" },
        { "schedule a lesson", Student, "CT", "403 insufficient_scope" },

        { "change a lesson", App, "LO", "200" },
        { "change a lesson", Admin, "LO", "200" },
        { "change a lesson", Teacher, "LT", "200" },
        { "change a lesson", Teacher, "LC", "403 not_your_course" },
        { "change a lesson", Teacher, "LO", "403 not_your_course" },
        { "change a lesson", Student, "LT", "403 insufficient_scope" },

        { "move a lesson to another course", App, "CT", "200" },
        { "move a lesson to another course", Admin, "CT", "200" },
        { "move a lesson to another course", Teacher, "CO", "403 not_your_course" },
        { "move a lesson to another course", Student, "CO", "403 insufficient_scope" },

        { "delete a lesson", App, "CO", "204" },
        { "delete a lesson", Admin, "CO", "204" },
        { "delete a lesson", Teacher, "CT", "204" },
        { "delete a lesson", Teacher, "CO", "403 not_your_course" },
        { "delete a lesson", Student, "CT", "403 insufficient_scope" },

        { "read a register", App, "LO", "200" },
        { "read a register", Admin, "LO", "200" },
        { "read a register", Teacher, "LT", "200" },
        { "read a register", Teacher, "LC", "200" },
        { "read a register", Teacher, "LO", "404 lesson_not_found" },
        { "read a register", Student, "LT", "200" },
        { "read a register", Student, "LO", "404 lesson_not_found" },

        { "read a mark", App, "LO/S3", "200" },
        { "read a mark", Admin, "LO/S3", "200" },
        { "read a mark", Teacher, "LT/S2", "200" },
        { "read a mark", Teacher, "LC/S3", "200" },
        { "read a mark", Teacher, "LO/S3", "404 mark_not_found" },
        { "read a mark", Student, "LT/S", "200" },
        { "read a mark", Student, "LT/S2", "404 mark_not_found" },

        { "record a register", App, "LO", "200" },
        { "record a register", Admin, "LO", "200" },
        { "record a register", Teacher, "LT", "200" },
        { "record a register", Teacher, "LC", "403 not_your_course" },
        { "record a register", Teacher, "LO", "403 not_your_course" },
        { "record a register", Student, "LT", "403 insufficient_scope" },

        { "correct a mark", App, "LO/S3", "200" },
        { "correct a mark", Admin, "LO/S3", "200" },
        { "correct a mark", Teacher, "LT/S", "200" },
        { "correct a mark", Teacher, "LO/S3", "403 not_your_course" },
        { "correct a mark", Student, "LT/S", "403 insufficient_scope" },

        { "delete a mark", App, "CO", "204" },
        { "delete a mark", Admin, "CO", "204" },
        { "delete a mark", Teacher, "CT", "204" },
        { "delete a mark", Teacher, "CO", "403 not_your_course" },
        { "delete a mark", Student, "CT", "403 insufficient_scope" },

        { "read a student's marks", App, "S3", "200" },
        { "read a student's marks", Admin, "S3", "200" },
        { "read a student's marks", Teacher, "S3", "200" },
        { "read a student's marks", Student, "S", "200" },
        { "read a student's marks", Student, "S2", "404 student_not_found" },

        { "the attendance summary", App, "", "200" },
        { "the attendance summary", App, "group_by=course", "200" },
        { "the attendance summary", App, "course_id=CO", "200" },
        { "the attendance summary", Admin, "", "200" },
        { "the attendance summary", Admin, "course_id=CO", "200" },
        { "the attendance summary", Teacher, "", "200" },
        { "the attendance summary", Teacher, "group_by=course", "200" },
        { "the attendance summary", Teacher, "course_id=CT", "200" },
        { "the attendance summary", Teacher, "course_id=CO", "404 course_not_found" },
        { "the attendance summary", Student, "", "200" },
        { "the attendance summary", Student, "course_id=CO", "200" },
        { "the attendance summary", Student, "student_id=S2", "404 student_not_found" },

        { "their own API tokens", App, "", "403 person_token_required" },
        { "their own API tokens", Admin, "", "200" },
        { "their own API tokens", Teacher, "", "200" },
        { "their own API tokens", Student, "", "200" },

        { "a person's API tokens", App, "T", "200" },
        { "a person's API tokens", Admin, "T", "200" },
        { "a person's API tokens", Teacher, "T", "403 insufficient_scope" },
        { "a person's API tokens", Student, "S", "403 insufficient_scope" },

        { "a person's export", App, "S3", "200" },
        { "a person's export", Admin, "S3", "200" },
        { "a person's export", Teacher, "S3", "403 insufficient_scope" },
        { "a person's export", Student, "S", "403 insufficient_scope" },

        { "a student's disclosures", App, "S3", "200" },
        { "a student's disclosures", Admin, "S3", "200" },
        { "a student's disclosures", Teacher, "S3", "403 insufficient_scope" },
        { "a student's disclosures", Student, "S", "403 insufficient_scope" },

        // Each erasure is of a person of its own (ERASE), made for the request: the world's people stay.
        { "erase a person", App, "ERASE", "200" },
        { "erase a person", Admin, "ERASE", "200" },
        { "erase a person", Teacher, "ERASE", "403 insufficient_scope" },
        { "erase a person", Student, "ERASE", "403 insufficient_scope" },

        { "the client registry", App, "", "200" },
        { "the client registry", Admin, "", "403 insufficient_scope" },
        { "the client registry", Teacher, "", "403 insufficient_scope" },
        { "the client registry", Student, "", "403 insufficient_scope" },

        { "follow the change feed", App, "", "200" },
        { "follow the change feed", Admin, "", "200" },
        { "follow the change feed", Teacher, "", "200" },
        { "follow the change feed", Student, "", "200" },

        { "the change feed's cursors", App, "", "200" },
        { "the change feed's cursors", Admin, "", "200" },
        { "the change feed's cursors", Teacher, "", "200" },
        { "the change feed's cursors", Student, "", "200" },

        { "export a term's marks", App, "", "200" },
        { "export a term's marks", Admin, "", "200" },
        { "export a term's marks", Teacher, "", "200" },
        { "export a term's marks", Student, "", "200" },
    };

    [Theory]
    [MemberData(nameof(Cells))]
    public async Task EachCellOfTheTableAnswersAsPublished(string operation, string caller, string target, string expected)
    {
        var world = await app.WorldAsync();
        var client = operation == "the client registry" && caller == App ? world.Platform : world.As(caller);
        var response = await SendAsync(world, client, operation, target);

        var parts = expected.Split(' ');
        var status = (HttpStatusCode)int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture);
        if (parts.Length == 2)
        {
            await response.AssertProblemAsync(status, parts[1]);
        }
        else
        {
            Assert.True(status == response.StatusCode, $"{operation} as {caller} on '{target}': {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    }

    private static async Task<HttpResponseMessage> SendAsync(AccessWorld w, HttpClient client, string operation, string target)
    {
        const string Base = AccessWorld.Base;
        var (lesson, student) = target.Contains('/') ? (target.Split('/')[0], target.Split('/')[1]) : ("", "");
        switch (operation)
        {
            case "read the school":
                return await client.GetAsync(Base);
            case "list people":
                return await client.GetAsync($"{Base}/users");
            case "read a person":
                return await client.GetAsync($"{Base}/users/{w[target]}");
            case "add a person":
                return await client.PostAsJsonAsync($"{Base}/users", new { role = "student", given_name = "New", family_name = "Pupil" });
            case "change a person":
                return await client.PatchAsJsonAsync($"{Base}/users/{w[target]}", new { family_name = "Access" });
            case "list courses":
                return await client.GetAsync($"{Base}/courses");
            case "read a course":
                return await client.GetAsync($"{Base}/courses/{w[target]}");
            case "list a course's enrolments":
                return await client.GetAsync($"{Base}/courses/{w[target]}/enrolments");
            case "change a course":
                return await client.PatchAsJsonAsync($"{Base}/courses/{w[target]}", new { name = $"Taught by {(target == "CT" ? "T" : "O")}" });
            case "enrol":
                // S2 is enrolled already: a repeat that changes nothing, 200.
                return await client.PutAsJsonAsync($"{Base}/courses/{w[target]}/enrolments/{w["S2"]}", new { });
            case "list lessons":
                return await client.GetAsync($"{Base}/lessons?from={AccessTableFactory.Day}&to={AccessTableFactory.Day}");
            case "read a lesson":
                return await client.GetAsync($"{Base}/lessons/{w[target]}");
            case "schedule a lesson":
                return await client.PostAsJsonAsync($"{Base}/lessons", AccessWorld.LessonIn(w[target], "2027-01-12", 9));
            case "change a lesson":
                return await client.PatchAsJsonAsync($"{Base}/lessons/{w[target]}", new { room = "R1" });
            case "move a lesson to another course":
                // A lesson of the teacher's own course, moved to the target course.
                return await client.PatchAsJsonAsync($"{Base}/lessons/{await NewLessonAsync(w, "CT")}", new { course_id = w[target] });
            case "delete a lesson":
                return await client.DeleteAsync($"{Base}/lessons/{await NewLessonAsync(w, target)}");
            case "read a register":
                return await client.GetAsync($"{Base}/lessons/{w[target]}/attendance");
            case "read a mark":
                return await client.GetAsync($"{Base}/lessons/{w[lesson]}/attendance/{w[student]}");
            case "record a register":
                return await client.PostAsJsonAsync($"{Base}/lessons/{w[target]}/attendance", w.RegisterOf(target));
            case "correct a mark":
                return await client.PatchAsJsonAsync($"{Base}/lessons/{w[lesson]}/attendance/{w[student]}", new { status = AccessWorld.StatusOf(lesson, student) });
            case "delete a mark":
                {
                    // A mark of its own, in a lesson of its own on another day: the others stay as they are.
                    var fresh = await NewLessonAsync(w, target);
                    var enrolled = target == "CT" ? "S" : "S3";
                    (await w.Application.PostAsJsonAsync($"{Base}/lessons/{fresh}/attendance",
                        new { marks = new[] { new { student_id = w[enrolled], status = "present" } } })).EnsureSuccessStatusCode();
                    return await client.DeleteAsync($"{Base}/lessons/{fresh}/attendance/{w[enrolled]}");
                }
            case "read a student's marks":
                return await client.GetAsync($"{Base}/students/{w[target]}/attendance?from={AccessTableFactory.Day}&to={AccessTableFactory.Day}");
            case "the attendance summary":
                return await client.GetAsync(Summary + (target.Length == 0 ? "" : "&" + Regex.Replace(target, "=(\\w+)$", m => $"={(w.Ids.TryGetValue(m.Groups[1].Value, out var id) ? id : m.Groups[1].Value)}")));
            case "their own API tokens":
                return await client.GetAsync("/v1/me/api-tokens");
            case "a person's API tokens":
                return await client.GetAsync($"{Base}/users/{w[target]}/api-tokens");
            case "a person's export":
                return await client.GetAsync($"{Base}/users/{w[target]}/export");
            case "a student's disclosures":
                return await client.GetAsync($"{Base}/users/{w[target]}/disclosures");
            case "erase a person":
                {
                    var created = await w.Application.PostAsJsonAsync($"{Base}/users", new { role = "student", given_name = "To", family_name = "Erase" });
                    created.EnsureSuccessStatusCode();
                    var erased = (await created.JsonAsync()).GetProperty("user_id").GetInt64();
                    return await client.PostAsJsonAsync($"{Base}/users/{erased}/erasure", new { reason = "entered_in_error" });
                }
            case "the client registry":
                return await client.GetAsync("/v1/admin/clients");
            case "follow the change feed":
                return await client.GetAsync($"{Base}/changes?types=lessons&limit=5");
            case "the change feed's cursors":
                return await client.GetAsync($"{Base}/changes/available");
            case "export a term's marks":
                return await client.GetAsync($"{Base}/attendance/export?from={AccessTableFactory.Day}&to={AccessTableFactory.Day}");
            default:
                throw new ArgumentException($"No request for '{operation}'.", nameof(operation));
        }
    }

    private static async Task<long> NewLessonAsync(AccessWorld w, string course)
    {
        var created = await w.Application.PostAsJsonAsync($"{AccessWorld.Base}/lessons", AccessWorld.LessonIn(w[course], "2027-01-13", 9));
        created.EnsureSuccessStatusCode();
        return (await created.JsonAsync()).GetProperty("lesson_id").GetInt64();
    }

    /// <summary>Each row of the published table, and the operations that ask its cells.</summary>
    private static readonly Dictionary<string, string[]> Rows = new()
    {
        ["`GET /v1/schools[/{school_id}]`"] = ["read the school"],
        ["list people"] = ["list people"],
        ["read a person"] = ["read a person"],
        ["add or change a person"] = ["add a person", "change a person"],
        ["list courses"] = ["list courses"],
        ["read a course, list its enrolments"] = ["read a course", "list a course's enrolments"],
        ["add or change a course, enrol, unenrol"] = ["change a course", "enrol"],
        ["list lessons"] = ["list lessons"],
        ["read a lesson"] = ["read a lesson"],
        ["schedule, change, delete a lesson"] = ["schedule a lesson", "change a lesson", "move a lesson to another course", "delete a lesson"],
        ["read a register (a lesson's marks)"] = ["read a register"],
        ["read one mark"] = ["read a mark"],
        ["record a register, correct or delete a mark"] = ["record a register", "correct a mark", "delete a mark"],
        ["read a student's marks"] = ["read a student's marks"],
        ["the attendance summary"] = ["the attendance summary"],
        ["their own API tokens (`/v1/me/api-tokens`)"] = ["their own API tokens"],
        ["a person's API tokens"] = ["a person's API tokens"],
        ["a person's export, the record of disclosures"] = ["a person's export", "a student's disclosures"],
        ["erase a person"] = ["erase a person"],
        ["the client registry (`/v1/admin/clients`)"] = ["the client registry"],
        ["the change feed (`/changes`, `/changes/available`)"] = ["follow the change feed", "the change feed's cursors"],
        ["the term export (`/attendance/export`)"] = ["export a term's marks"],
    };

    [Theory]
    [InlineData("README.md")]
    [InlineData("docs/decisions/0007-acting-for-a-person.md")]
    public void EveryRowOfThePublishedTableIsAskedOfEveryCaller(string document)
    {
        var text = Repository.Read(document);
        var header = "| operation | application | school admin | teacher | student |\n| --- | --- | --- | --- | --- |\n";
        var start = text.IndexOf(header, StringComparison.Ordinal);
        Assert.True(start >= 0, $"{document} has no access table.");
        var rows = text[(start + header.Length)..].Split('\n').TakeWhile(line => line.StartsWith('|'))
            .Select(line => line.Split(" | ")[0].TrimStart('|', ' ')).ToList();
        Assert.Equal(Rows.Keys, rows);

        var cells = Cells.Select(row => ((string)row[0], (string)row[1])).ToHashSet();
        Assert.Equal(Rows.Values.SelectMany(o => o).Order(), cells.Select(c => c.Item1).Distinct().Order());
        foreach (var operation in Rows.Values.SelectMany(o => o))
        {
            foreach (var caller in new[] { App, Admin, Teacher, Student })
            {
                Assert.Contains((operation, caller), cells);
            }
        }
    }

    [Fact]
    public async Task ATeachersSummaryAndAStudentsMarksCountOnlyTheLessonsTheTeacherMayRead()
    {
        var w = await app.WorldAsync();

        var all = await (await w.Application.GetAsync(Summary)).JsonAsync();
        var taught = await w.Teacher.GetAsync(Summary);
        var theirs = await taught.JsonAsync();
        // LT (two marks) and LO, LC (one each) for the application; LT and the covered LC for the teacher.
        Assert.Equal(4, Total(all));
        Assert.Equal(3, Total(theirs));
        var byCourse = (await (await w.Teacher.GetAsync(Summary + "&group_by=course")).JsonAsync()).GetProperty("groups").EnumerateArray()
            .ToDictionary(g => g.GetProperty("course_id").GetInt64(), Total);
        Assert.Equal(new Dictionary<long, long> { [w["CT"]] = 2, [w["CO"]] = 1 }, byCourse);
        Assert.Equal(2, Total(await (await w.Teacher.GetAsync(Summary + $"&course_id={w["CT"]}")).JsonAsync()));
        Assert.Equal(1, Total(await (await w.Teacher.GetAsync(Summary + $"&student_id={w["S3"]}")).JsonAsync()));

        // The same question asked by the application has another answer, so its tag is not the teacher's.
        using var conditional = new HttpRequestMessage(HttpMethod.Get, Summary);
        conditional.Headers.IfNoneMatch.Add(EntityTagHeaderValue.Parse((await w.Application.GetAsync(Summary)).Headers.ETag!.ToString()));
        Assert.Equal(HttpStatusCode.OK, (await w.Teacher.SendAsync(conditional)).StatusCode);

        var marks = $"{AccessWorld.Base}/students/{w["S3"]}/attendance?from={AccessTableFactory.Day}&to={AccessTableFactory.Day}";
        Assert.Equal([w["LO"], w["LC"]], LessonsOf(await (await w.Application.GetAsync(marks)).JsonAsync()));
        Assert.Equal([w["LC"]], LessonsOf(await (await w.Teacher.GetAsync(marks)).JsonAsync()));
        Assert.Equal(1, Total(await (await w.Student.GetAsync(Summary)).JsonAsync()));
    }

    [Fact]
    public async Task TheChangeFeedCarriesWhatTheListsShowEachCaller()
    {
        var w = await app.WorldAsync();
        async Task<HashSet<long>> LessonsInFeedAsync(HttpClient client)
        {
            var seen = new HashSet<long>();
            var next = $"{AccessWorld.Base}/changes?types=lessons&limit=1000";
            while (true)
            {
                var page = await (await client.GetAsync(next)).JsonAsync();
                seen.UnionWith(page.GetProperty("data").EnumerateArray().Select(c => c.GetProperty("key").GetProperty("lesson_id").GetInt64()));
                if (!page.GetProperty("has_more").GetBoolean())
                {
                    return seen;
                }
                next = page.GetProperty("next").GetString()!;
            }
        }

        var teacher = await LessonsInFeedAsync(w.Teacher);
        Assert.Contains(w["LT"], teacher);
        Assert.Contains(w["LC"], teacher);
        Assert.DoesNotContain(w["LO"], teacher);
        var student = await LessonsInFeedAsync(w.Student);
        Assert.Contains(w["LT"], student);
        Assert.DoesNotContain(w["LO"], student);
        Assert.DoesNotContain(w["LC"], student);
        Assert.Superset(new HashSet<long> { w["LT"], w["LO"], w["LC"] }, await LessonsInFeedAsync(w.Admin));
    }

    [Fact]
    public async Task TheExportHoldsTheMarksEachCallerMayRead()
    {
        var w = await app.WorldAsync();
        async Task<List<string>> ExportedAsync(HttpClient client) =>
            [.. (await client.GetStringAsync($"{AccessWorld.Base}/attendance/export?from={AccessTableFactory.Day}&to={AccessTableFactory.Day}"))
                .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("mark_id").GetString()!)];
        string Mark(string lesson, string student) => $"{w[lesson]}:{w[student]}";

        Assert.Equal([Mark("LT", "S"), Mark("LT", "S2"), Mark("LO", "S3"), Mark("LC", "S3")], await ExportedAsync(w.Application));
        Assert.Equal([Mark("LT", "S"), Mark("LT", "S2"), Mark("LC", "S3")], await ExportedAsync(w.Teacher));
        Assert.Equal([Mark("LT", "S")], await ExportedAsync(w.Student));
    }

    [Fact]
    public async Task ListsShowWhatTheTableSaysEachCallerMayRead()
    {
        var w = await app.WorldAsync();
        var lessons = $"{AccessWorld.Base}/lessons?from={AccessTableFactory.Day}&to={AccessTableFactory.Day}";
        Assert.Equal([w["LT"], w["LC"]], Ids(await (await w.Teacher.GetAsync(lessons)).JsonAsync(), "lesson_id"));
        Assert.Equal([w["LT"]], Ids(await (await w.Student.GetAsync(lessons)).JsonAsync(), "lesson_id"));
        Assert.Equal([w["LT"], w["LO"], w["LC"]], Ids(await (await w.Admin.GetAsync(lessons)).JsonAsync(), "lesson_id"));

        Assert.Equal([w["CT"]], Ids(await (await w.Teacher.GetAsync($"{AccessWorld.Base}/courses?limit=500")).JsonAsync(), "course_id"));
        Assert.Equal([w["CT"]], Ids(await (await w.Student.GetAsync($"{AccessWorld.Base}/courses?limit=500")).JsonAsync(), "course_id"));
        Assert.Equal([w["S"]], Ids(await (await w.Student.GetAsync($"{AccessWorld.Base}/courses/{w["CT"]}/enrolments")).JsonAsync(), "student_id"));
        Assert.Equal([w["S"], w["S2"]], Ids(await (await w.Teacher.GetAsync($"{AccessWorld.Base}/courses/{w["CT"]}/enrolments")).JsonAsync(), "student_id"));
        Assert.Equal([w["S"]], Ids(await (await w.Student.GetAsync($"{AccessWorld.Base}/lessons/{w["LT"]}/attendance")).JsonAsync(), "student_id"));
        Assert.Equal([w["S"], w["S2"]], Ids(await (await w.Teacher.GetAsync($"{AccessWorld.Base}/lessons/{w["LT"]}/attendance")).JsonAsync(), "student_id"));
        Assert.Equal([w["S"]], Ids(await (await w.Student.GetAsync($"{AccessWorld.Base}/users")).JsonAsync(), "user_id"));
    }

    [Fact]
    public async Task APersonOfARoleTheServiceDoesNotKnowReachesOnlyTheirOwnRecords()
    {
        var w = await app.WorldAsync();
        const string Secret = "a-tool-secret-of-forty-characters-000000";
        var token = await app.SignWithServiceKeyAsync(new Dictionary<string, object>
        {
            ["sub"] = $"{w["S2"]}",
            ["client_id"] = "testclient",
            ["tier"] = "standard",
            ["schools"] = new[] { AccessTableFactory.School },
            ["scope"] = string.Join(' ', Scopes.All.Where(s => s != Scopes.Admin)),
            ["role"] = "parent",
            [PersonClaims.ClientSecretBinding] = PersonClaims.BindingOf(Secret),
            ["jti"] = Guid.NewGuid().ToString("N"),
        });
        var parent = app.CreateClient();
        parent.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        parent.DefaultRequestHeaders.Add(PersonClaims.ClientSecretHeader, Secret);

        Assert.Equal([w["S2"]], Ids(await (await parent.GetAsync($"{AccessWorld.Base}/users")).JsonAsync(), "user_id"));
        await (await parent.GetAsync($"{AccessWorld.Base}/users/{w["S"]}")).AssertProblemAsync(HttpStatusCode.NotFound, "user_not_found");
        Assert.Equal([w["CT"]], Ids(await (await parent.GetAsync($"{AccessWorld.Base}/courses?limit=500")).JsonAsync(), "course_id"));
        await (await parent.GetAsync($"{AccessWorld.Base}/courses/{w["CO"]}")).AssertProblemAsync(HttpStatusCode.NotFound, "course_not_found");
        await (await parent.PatchAsJsonAsync($"{AccessWorld.Base}/lessons/{w["LT"]}", new { room = "X" })).AssertProblemAsync(HttpStatusCode.Forbidden, "not_your_course");
        await (await parent.GetAsync(Summary + $"&student_id={w["S"]}")).AssertProblemAsync(HttpStatusCode.NotFound, "student_not_found");
    }

    /// <summary>The rules are decided in Auth/AccessRules.cs: no other file reads the role of the caller.</summary>
    [Fact]
    public void NoFileOutsideAuthDecidesByTheCallersRole()
    {
        var source = Repository.PathOf("src/StatsApi");
        var offenders = Directory.EnumerateFiles(source, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Where(f => Path.GetFileName(Path.GetDirectoryName(f)) != "Auth")
            .Where(f => Regex.IsMatch(File.ReadAllText(f), @"FindFirst\((PersonClaims\.Role|""role"")\)|IsInRole\(|ReachOf\("))
            .Select(f => Path.GetRelativePath(source, f))
            .ToList();
        Assert.Empty(offenders);
    }

    // The marks a summary counts, or a group of it.
    private static long Total(JsonElement summary) =>
        summary.GetProperty(summary.TryGetProperty("totals", out _) ? "totals" : "counts").GetProperty("records").GetInt64();

    private static List<long> LessonsOf(JsonElement page) => Ids(page, "lesson_id");

    private static List<long> Ids(JsonElement page, string id) =>
        page.GetProperty("data").EnumerateArray().Select(e => e.GetProperty(id).GetInt64()).ToList();
}
