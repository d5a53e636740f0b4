using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using StatsApi.Clients;
using StatsApi.Data;
using StatsApi.Demo;
using StatsApi.Tokens;

// Measures the service against a bare Kestrel + Npgsql endpoint on the same SQL, in one run, on one
// data set, and prints a table of the scenarios and the ratios the targets are stated in.
var connectionString = Environment.GetEnvironmentVariable("ConnectionStrings__Default")
    ?? throw new InvalidOperationException("Set ConnectionStrings__Default (scripts/bench.sh does).");
if (args is ["--bare-server", var barePortText])
{
    await BareServer.RunAsync(connectionString, int.Parse(barePortText, CultureInfo.InvariantCulture));
    return 0;
}
var serviceDll = Environment.GetEnvironmentVariable("STATSAPI_DLL")
    ?? throw new InvalidOperationException("Set STATSAPI_DLL (scripts/bench.sh does).");
var records = Arg("--records", 1_000_000);
var schools = (int)Arg("--schools", 1000);
var seconds = TimeSpan.FromSeconds(Arg("--seconds", 10));
var connections = (int)Arg("--connections", 32);
var work = Directory.CreateTempSubdirectory("statsapi-bench-");
DefaultTypeMap.MatchNamesWithUnderscores = true;

// A term whose marks number about --records across --schools schools of 40 students or more.
var perSchool = Math.Max(1000, records / schools);
var weeks = (int)Math.Clamp(Math.Ceiling(perSchool / (40.0 * DemoDataOptions.LessonsAWeek)), 1, 12);
var weeksOnly = new DemoDataOptions { Schools = schools, Weeks = weeks };
// A student's marks: the timetable's lessons a day over the teaching days (the half-term week and the
// days before the term's start have none).
var marksPerStudent = DemoDataOptions.LessonsAWeek / 5.0 * weeksOnly.TeachingDays();
var options = weeksOnly with { StudentsPerSchool = (int)Math.Clamp(perSchool / marksPerStudent, 10, 20000) };
var termEnd = options.TermStart.AddDays(options.Weeks * 7 - 1);

await using var dataSource = NpgsqlDataSource.Create(connectionString);
await new Migrator(dataSource, NullLogger<Migrator>.Instance).ApplyAsync();
var seeding = Stopwatch.StartNew();
var seeded = await new DemoData(dataSource, NullLogger<DemoData>.Instance).SeedAsync(options with { RollupsAfterLoad = true });
seeding.Stop();
await using (var connection = await dataSource.OpenConnectionAsync())
{
    await connection.ExecuteAsync("vacuum analyze", commandTimeout: 0);
    var stored = await connection.ExecuteScalarAsync<long>("select count(*) from attendance_records", commandTimeout: 0);
    Console.WriteLine($"data: {options.Schools} schools x {options.StudentsPerSchool} students x {options.Weeks} weeks: {stored:N0} attendance records" +
        (seeded.Skipped ? " (loaded before)" : $", loaded with binary COPY and the rollups built after in {seeding.Elapsed.TotalSeconds:F0} s ({stored / seeding.Elapsed.TotalSeconds:N0} rows/s)"));
}

await RollupAgainstRecordsAsync();
var copyRate = await RawCopyRateAsync();

var servicePort = FreePort();
var barePort = FreePort();
var rounds = (int)Arg("--rounds", 3);
var warmUp = TimeSpan.FromSeconds(Arg("--warm", 20));
// Premium clients drive the load without meeting their quota; the 429 scenario uses a free one.
var serviceSettings = new Dictionary<string, string>
{
    ["RateLimits__Tiers__premium__Requests"] = "1000000000",
    ["RateLimits__Tiers__premium__Cost"] = "1000000000",
};
// --set Name=value (repeatable) runs the service with another setting, to measure what it costs.
for (var i = 0; i < args.Length - 1; i++)
{
    if (args[i] == "--set" && args[i + 1].Split('=', 2) is [var name, var value])
    {
        serviceSettings[name.Replace(":", "__", StringComparison.Ordinal)] = value;
    }
}
var only = Array.IndexOf(args, "--only") is var at and >= 0 && at + 1 < args.Length ? args[at + 1].Split(',') : null;
await using var service = await ServiceProcess.StartAsync(serviceDll, connectionString, servicePort, serviceSettings);
await using var bare = await ServiceProcess.StartBareAsync(connectionString, barePort);
var classSize = 1.0;
var requests = await PrepareRequestsAsync();
var peakRss = 0.0;

// Both servers warm before any figure: .NET tiers and re-optimises hot methods for tens of seconds after
// a start, and a figure taken in that time is the JIT's, not the server's.
Console.WriteLine();
Console.WriteLine($"warming both servers, {warmUp.TotalSeconds:F0} s a path ({Load()})");
foreach (var (target, file) in new[]
{
    (bare.BaseAddress, requests["bare-summary"]), (service.BaseAddress, requests["summary"]),
    (bare.BaseAddress, requests["bare-json"]), (service.BaseAddress, requests["forbidden"]),
    (service.BaseAddress, requests["live"]), (service.BaseAddress, requests["summary-week"]),
})
{
    await Wrk.RunAsync(target, file, connections, warmUp);
}
await Wrk.RunAsync(service.BaseAddress, requests["token"], 16, warmUp / 2);

// Scenarios in groups; a group that holds a bare floor and the service's answers to compare with it
// runs in the opposite order every other round, so neither side always has the machine fresh. The
// others keep their order: a round's deletes are of the lessons its creates made.
var bareSummary = new Scenario("bare: summary SQL, Kestrel + Npgsql", true, _ => Task.FromResult(requests["bare-summary"]));
var bareJson = new Scenario("bare: constant JSON, Kestrel", true, _ => Task.FromResult(requests["bare-json"]));
var summary = Service("summary, totals (random schools)", "summary");
var byWeek = Service("summary, group_by=week", "summary-week");
var register = new Scenario("record a class's register (POST, new lesson)", false, round => Task.FromResult(requests[$"register-{round}"]), Sequence: true);
var tokens = Service("token issuance (client credentials)", "token") with { Connections = 16 };
var forbidden = Service("403: an unapproved school (no SQL)", "forbidden");
var limited = Service("429: a free client over its quota (no SQL)", "limited");
var live = Service("GET /health/live (no token)", "live");
Scenario[][] groups =
[
    [bareSummary, summary, Service("summary, group_by=course", "summary-course"), Service("summary, group_by=day", "summary-day"), byWeek],
    [Service("one lesson by id", "lesson"), Service("a page of 50 lessons", "lessons")],
    [register, Service("create a lesson", "create"), new Scenario("delete a lesson", false, _ => DeleteRequestsAsync(), Sequence: true), tokens],
    [bareJson, forbidden, limited, live],
];
var results = groups.SelectMany(g => g).ToDictionary(s => s, _ => new List<LoadResult>());

Console.WriteLine($"HTTP over loopback, wrk, {connections} connections, {seconds.TotalSeconds:F0} s a scenario, {rounds} rounds; the service in Release with its production logging");
Console.WriteLine($"{"round",5} {"scenario",-46} {"req/s",9} {"p50 ms",8} {"p99 ms",8} {"non-2xx",8} {"errors",7} {"RSS MB",7}  load");
for (var round = 0; round < rounds; round++)
{
    foreach (var group in groups)
    {
        foreach (var scenario in round % 2 == 1 && group.Any(s => s.Bare) ? group.Reverse() : group)
        {
            // --only a,b runs the scenarios whose names contain one of the words, and the bare floors.
            if (only is not null && !scenario.Bare && !only.Any(word => scenario.Name.Contains(word, StringComparison.OrdinalIgnoreCase)))
            {
                continue;
            }
            var file = await scenario.File(round);
            if (new FileInfo(file).Length == 0)
            {
                // Nothing left to send: the lessons a round's delete scenario found were all deleted before.
                continue;
            }
            var result = await Wrk.RunAsync(scenario.Bare ? bare.BaseAddress : service.BaseAddress, file,
                scenario.Connections ?? connections, seconds, scenario.Sequence);
            var rss = scenario.Bare ? bare.RssMegabytes() : service.RssMegabytes();
            peakRss = scenario.Bare ? peakRss : Math.Max(peakRss, rss);
            Console.WriteLine($"{round + 1,5} {scenario.Name,-46} {result.RequestsPerSecond,9:N0} {result.P50Ms,8:F2} {result.P99Ms,8:F2} {result.Non2xx,8:N0} {result.Errors,7:N0} {rss,7:F0}  {Load()}");
            results[scenario].Add(result);
        }
    }
}

Console.WriteLine();
Console.WriteLine($"medians of {rounds} rounds; spread is (max - min) / median of the rounds' req/s");
Console.WriteLine($"{"scenario",-46} {"req/s",9} {"spread",7} {"p50 ms",8} {"p99 ms",8} {"p99/p50",8}");
foreach (var (scenario, runs) in results.Where(r => r.Value.Count > 0))
{
    var rates = runs.Select(r => r.RequestsPerSecond).ToList();
    var p50 = Median(runs.Select(r => r.P50Ms));
    var p99 = Median(runs.Select(r => r.P99Ms));
    Console.WriteLine($"{scenario.Name,-46} {Median(rates),9:N0} {(rates.Max() - rates.Min()) / Median(rates),7:P0} {p50,8:F2} {p99,8:F2} {p99 / p50,8:F1}");
}
Console.WriteLine($"service RSS, the most seen after a scenario: {peakRss:F0} MB  (target < 250)");
if (only is null || only.Any(word => word.Equals("export", StringComparison.OrdinalIgnoreCase)))
{
    await ExportBench.RunAsync(service, dataSource, Admin);
}

Console.WriteLine();
Console.WriteLine("ratios, each taken within a round, then the median and the range of the rounds:");
Ratio("summary / bare summary SQL", summary, bareSummary, "0.85");
Ratio("summary by week / bare summary SQL", byWeek, bareSummary, "0.8");
Ratio("403 / bare JSON", forbidden, bareJson, "0.75");
Ratio("429 / bare JSON", limited, bareJson, "0.75");
Ratio("/health/live / bare JSON", live, bareJson, "0.9");
if (results[register].Count > 0)
{
    var marks = results[register].Select(r => r.RequestsPerSecond * classSize).ToList();
    Console.WriteLine($"  {"register marks/s",-38} {Median(marks),9:N0}  ({marks.Min():N0}-{marks.Max():N0}; raw COPY {copyRate:N0} rows/s; target >= 50,000)");
}
if (results[tokens].Count > 0)
{
    var rates = results[tokens].Select(r => r.RequestsPerSecond).ToList();
    Console.WriteLine($"  {"tokens/s at 16 connections",-38} {Median(rates),9:N0}  ({rates.Min():N0}-{rates.Max():N0}; target >= 8,000)");
}
work.Delete(recursive: true);
return 0;

Scenario Service(string name, string file) => new(name, false, _ => Task.FromResult(requests[file]));

void Ratio(string name, Scenario scenario, Scenario floor, string target)
{
    var ratios = results[scenario].Zip(results[floor], (a, b) => a.RequestsPerSecond / b.RequestsPerSecond).ToList();
    if (ratios.Count > 0)
    {
        Console.WriteLine($"  {name,-38} {Median(ratios),9:F2}  ({ratios.Min():F2}-{ratios.Max():F2}; target >= {target})");
    }
}

static double Median(IEnumerable<double> values)
{
    var sorted = values.Order().ToList();
    return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
}

// The machine is shared: each figure is printed with the load average it was taken under.
static string Load() => File.ReadAllText("/proc/loadavg").Split(' ') is [var one, var five, var fifteen, ..] ? $"{one} {five} {fifteen}" : "";

// The summary of a school's term grouped by course: from the rollup, and counted from the records.
async Task RollupAgainstRecordsAsync()
{
    await using var connection = await dataSource.OpenConnectionAsync();
    var school = options.Schools > 1 ? "ravenscroft-high" : "oakwood-primary";
    var parameters = new { school, from = options.TermStart, to = termEnd };
    var rollup = await TimeAsync(() => connection.QueryAsync("""
        select c.course_id, sum(d.present), sum(d.absent), sum(d.late), sum(d.excused)
        from attendance_daily d join courses c on c.school_id = d.school_id and c.course_id = d.course_id
        where d.school_id = @school and d.day between @from and @to group by c.course_id
        """, parameters));
    var raw = await TimeAsync(() => connection.QueryAsync("""
        select l.course_id, count(*) filter (where a.status = 'present'), count(*) filter (where a.status = 'absent'),
               count(*) filter (where a.status = 'late'), count(*) filter (where a.status = 'excused')
        from attendance_records a join lessons l on l.school_id = a.school_id and l.lesson_id = a.lesson_id
        join schools s on s.school_id = a.school_id
        where a.school_id = @school and (l.starts_at at time zone s.time_zone)::date between @from and @to group by l.course_id
        """, parameters));
    Console.WriteLine($"a school's term by course, median of 20: rollup {rollup:F2} ms, counted from the records {raw:F2} ms: {raw / rollup:F0}x  (target >= 20x)");
}

// Rows per second of a binary COPY of new marks into attendance_records, triggers and rollups included.
async Task<double> RawCopyRateAsync()
{
    var lessons = await NewLessonsAsync(2000, new DateOnly(2027, 1, 11));
    var stopwatch = Stopwatch.StartNew();
    long rows = 0;
    await using (var connection = await dataSource.OpenConnectionAsync())
    await using (var writer = await connection.BeginBinaryImportAsync("copy attendance_records (school_id, lesson_id, student_id, status) from stdin (format binary)"))
    {
        foreach (var lesson in lessons)
        {
            foreach (var student in lesson.Students)
            {
                await writer.StartRowAsync();
                await writer.WriteAsync(lesson.SchoolId, NpgsqlDbType.Text);
                await writer.WriteAsync(lesson.LessonId, NpgsqlDbType.Bigint);
                await writer.WriteAsync(student, NpgsqlDbType.Bigint);
                await writer.WriteAsync(rows++ % 10 == 0 ? "absent" : "present", NpgsqlDbType.Text);
            }
        }
        await writer.CompleteAsync();
    }
    var rate = rows / stopwatch.Elapsed.TotalSeconds;
    Console.WriteLine($"raw binary COPY of {rows:N0} new marks for {lessons.Count:N0} lessons: {rate:N0} rows/s");
    return rate;
}

// Lessons from a day after the term, spread over every school, each for a class of up to 30 of the
// school's students (a new course per school and day): a register the size a teacher takes.
async Task<List<NewLesson>> NewLessonsAsync(int count, DateOnly day)
{
    await using var connection = await dataSource.OpenConnectionAsync();
    // Unique per run, so a kept database can be measured again.
    var code = $"BENCH-{day:yyyy-MM-dd}-{Environment.ProcessId}";
    await connection.ExecuteAsync("""
        with classes as (
            insert into courses (school_id, code, name, teacher_id)
            select s.school_id, @code, 'Bench class ' || @code, t.user_id
            from schools s
            cross join lateral (select user_id from users u where u.school_id = s.school_id and u.role = 'teacher' order by user_id limit 1) t
            returning school_id, course_id)
        insert into enrolments (school_id, course_id, student_id, enrolled_on)
        select c.school_id, c.course_id, st.user_id, @day
        from classes c
        cross join lateral (select user_id from users u where u.school_id = c.school_id and u.role = 'student' order by user_id limit 30) st
        """, new { code, day }, commandTimeout: 0);
    return (await connection.QueryAsync<NewLesson>("""
        with classes as (
            select school_id, course_id, teacher_id, row_number() over (order by school_id) - 1 as k, count(*) over () as n
            from courses where code = @code),
        made as (
            insert into lessons (school_id, course_id, teacher_id, starts_at, ends_at, room)
            select c.school_id, c.course_id, c.teacher_id, t.starts_at, t.starts_at + interval '50 minutes', 'B1'
            from generate_series(0, @count - 1) i
            join classes c on c.k = i % c.n
            cross join lateral (select @day::timestamp + make_interval(days => (i / c.n)::int / 10, hours => 7 + (i / c.n)::int % 10) as starts_at) t
            returning school_id, lesson_id, course_id)
        select m.school_id, m.lesson_id, m.course_id,
               array(select e.student_id from enrolments e where e.school_id = m.school_id and e.course_id = m.course_id order by 1) as students
        from made m
        """, new { code, count, day }, commandTimeout: 0)).Where(l => l.Students.Length > 0).ToList();
}

async Task<Dictionary<string, string>> PrepareRequestsAsync()
{
    await using var connection = await dataSource.OpenConnectionAsync();
    var allSchools = (await connection.QueryAsync<string>("select school_id from schools order by school_id")).ToArray();
    var random = new Random(7);
    using var http = new HttpClient { BaseAddress = service.BaseAddress };
    http.DefaultRequestHeaders.Add("X-Forwarded-Proto", "https");

    // A hundred integrators, each approved for ten schools, with their tokens from the token endpoint.
    var clients = new List<(string Id, string Secret, string Token, string[] Schools)>();
    // A cache that never listens keeps nothing: the bench only registers clients through it.
    var registry = new ApiClients(dataSource, new IssuanceCache(Options.Create(new TokenOptions())));
    for (var i = 0; i < 100; i++)
    {
        var approved = allSchools.OrderBy(_ => random.Next()).Take(Math.Min(10, allSchools.Length)).ToArray();
        // Through the registry itself, as the admin command does, without a process start for each.
        var created = await registry.CreateAsync(new NewClient($"Bench {i}", "premium", approved,
            ["schools:read", "users:read", "courses:read", "lessons:read", "lessons:write", "attendance:read", "attendance:write"]));
        var (id, secret) = (created.Client.ClientId, created.ClientSecret);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/oauth/token") { Content = new StringContent("grant_type=client_credentials", Encoding.ASCII, "application/x-www-form-urlencoded") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.ASCII.GetBytes($"{id}:{secret}")));
        var token = JsonDocument.Parse(await (await http.SendAsync(request)).Content.ReadAsStringAsync()).RootElement.GetProperty("access_token").GetString()!;
        clients.Add((id, secret, token, approved));
    }
    var free = await registry.CreateAsync(new NewClient("Bench free", "free", [allSchools[0]], ["attendance:read"]));
    using var freeRequest = new HttpRequestMessage(HttpMethod.Post, "/oauth/token") { Content = new StringContent("grant_type=client_credentials", Encoding.ASCII, "application/x-www-form-urlencoded") };
    freeRequest.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.ASCII.GetBytes($"{free.Client.ClientId}:{free.ClientSecret}")));
    var freeToken = JsonDocument.Parse(await (await http.SendAsync(freeRequest)).Content.ReadAsStringAsync()).RootElement.GetProperty("access_token").GetString()!;
    var lessonsBySchool = (await connection.QueryAsync<(string SchoolId, long LessonId)>("""
        select school_id, lesson_id from lessons tablesample system (5) limit 20000
        """)).ToLookup(l => l.SchoolId, l => l.LessonId);
    var coursesBySchool = (await connection.QueryAsync<(string SchoolId, long CourseId)>("select school_id, course_id from courses")).ToLookup(c => c.SchoolId, c => c.CourseId);

    var files = new Dictionary<string, string>();
    void File(string name, IEnumerable<string> lines)
    {
        var path = Path.Combine(work.FullName, name + ".tsv");
        System.IO.File.WriteAllLines(path, lines);
        files[name] = path;
    }
    IEnumerable<string> ForClients(int count, Func<(string Id, string Secret, string Token, string[] Schools), string, string?> line) =>
        Enumerable.Range(0, count).Select(_ =>
        {
            var client = clients[random.Next(clients.Count)];
            return line(client, client.Schools[random.Next(client.Schools.Length)]);
        }).Where(l => l is not null).Select(l => l!);
    string Get(string token, string path) => $"GET\t{path}\tBearer {token}\t\t";
    var term = $"from={options.TermStart:yyyy-MM-dd}&to={termEnd:yyyy-MM-dd}";

    File("summary", ForClients(5000, (c, s) => Get(c.Token, $"/stats/v1/attendance/summary?school_id={s}&{term}")));
    File("summary-course", ForClients(5000, (c, s) => Get(c.Token, $"/stats/v1/attendance/summary?school_id={s}&{term}&group_by=course")));
    File("summary-day", ForClients(5000, (c, s) => Get(c.Token, $"/stats/v1/attendance/summary?school_id={s}&{term}&group_by=day")));
    File("summary-week", ForClients(5000, (c, s) => Get(c.Token, $"/stats/v1/attendance/summary?school_id={s}&{term}&group_by=week")));
    File("bare-summary", allSchools.Select(s => $"GET\t/bare/summary?school_id={s}&{term}\t\t\t"));
    File("lesson", ForClients(5000, (c, s) => lessonsBySchool[s].Any()
        ? Get(c.Token, $"/v1/schools/{s}/lessons/{lessonsBySchool[s].ElementAt(random.Next(lessonsBySchool[s].Count()))}") : null));
    File("lessons", ForClients(5000, (c, s) => Get(c.Token, $"/v1/schools/{s}/lessons?limit=50&{term}")));
    File("create", ForClients(5000, (c, s) =>
    {
        var day = new DateOnly(2027, 2, 1).AddDays(random.Next(20));
        var course = coursesBySchool[s].ElementAt(random.Next(coursesBySchool[s].Count()));
        return $"POST\t/v1/schools/{s}/lessons\tBearer {c.Token}\t\t{{\"course_id\":{course},\"starts_at\":\"{day:yyyy-MM-dd}T10:00:00Z\",\"ends_at\":\"{day:yyyy-MM-dd}T10:50:00Z\"}}";
    }));
    // Schools in a random order: a school's registers of a day serialise on its rollup row for that day
    // (as they would at 9:05 in one school), and the scenario measures the service, not that queue.
    // A round's registers are all new lessons: each round has a file of its own.
    var registers = (await NewLessonsAsync(20000 * rounds, new DateOnly(2027, 1, 12))).ToArray();
    new Random(11).Shuffle(registers);
    classSize = registers.Average(l => l.Students.Length);
    for (var round = 0; round < rounds; round++)
    {
        File($"register-{round}", Registers(registers.Skip(round * registers.Length / rounds).Take(registers.Length / rounds)));
    }
    IEnumerable<string> Registers(IEnumerable<NewLesson> lessons) => lessons.Select(l =>
    {
        var client = clients.FirstOrDefault(c => c.Schools.Contains(l.SchoolId));
        if (client.Token is null)
        {
            return null;
        }
        var marks = string.Join(',', l.Students.Select(s => $"{{\"student_id\":{s},\"status\":\"{(random.Next(12) == 0 ? "absent" : "present")}\"}}"));
        return $"POST\t/v1/schools/{l.SchoolId}/lessons/{l.LessonId}/attendance\tBearer {client.Token}\t\t{{\"marks\":[{marks}]}}";
    }).Where(l => l is not null).Select(l => l!);
    File("token", clients.Select(c =>
        $"POST\t/oauth/token\tBasic {Convert.ToBase64String(Encoding.ASCII.GetBytes($"{c.Id}:{c.Secret}"))}\tContent-Type: application/x-www-form-urlencoded\tgrant_type=client_credentials"));
    File("forbidden", ForClients(5000, (c, _) => Get(c.Token, $"/stats/v1/attendance/summary?school_id={(allSchools.FirstOrDefault(s => !c.Schools.Contains(s)) ?? "no-such-school")}&{term}")));
    File("limited", [Get(freeToken, $"/stats/v1/attendance/summary?school_id={allSchools[0]}&{term}")]);
    File("live", ["GET\t/health/live\t\t\t"]);
    File("bare-json", ["GET\t/bare/json\t\t\t"]);
    return files;
}

// The lessons the create scenario made, each deleted once.
async Task<string> DeleteRequestsAsync()
{
    await using var connection = await dataSource.OpenConnectionAsync();
    var made = await connection.QueryAsync<(string SchoolId, long LessonId)>(
        "select school_id, lesson_id from lessons where starts_at >= '2027-02-01' and starts_at < '2027-03-01' order by lesson_id");
    // A client's token reaches only its schools: each lesson is deleted with a token of its school.
    var bySchool = (await System.IO.File.ReadAllLinesAsync(Path.Combine(work.FullName, "create.tsv")))
        .Select(l => l.Split('\t')).GroupBy(p => p[1].Split('/')[3]).ToDictionary(g => g.Key, g => g.First()[2]);
    var path = Path.Combine(work.FullName, "delete.tsv");
    await System.IO.File.WriteAllLinesAsync(path, made.Where(l => bySchool.ContainsKey(l.SchoolId))
        .Select(l => $"DELETE\t/v1/schools/{l.SchoolId}/lessons/{l.LessonId}\t{bySchool[l.SchoolId]}\t\t"));
    return path;
}

// The service's own command line, as an operator runs it: what the export bench sets up with.
async Task<string> Admin(params string[] arguments)
{
    var start = new ProcessStartInfo("dotnet", [serviceDll, .. arguments]) { RedirectStandardOutput = true, RedirectStandardError = true };
    start.Environment["ConnectionStrings__Default"] = connectionString;
    using var process = Process.Start(start)!;
    var output = await process.StandardOutput.ReadToEndAsync();
    await process.WaitForExitAsync();
    return process.ExitCode == 0 ? output : throw new InvalidOperationException($"{string.Join(' ', arguments)}: {await process.StandardError.ReadToEndAsync()}");
}

async Task<double> TimeAsync<T>(Func<Task<T>> run)
{
    for (var i = 0; i < 3; i++)
    {
        await run();
    }
    var timings = new List<double>();
    for (var i = 0; i < 20; i++)
    {
        var stopwatch = Stopwatch.StartNew();
        await run();
        timings.Add(stopwatch.Elapsed.TotalMilliseconds);
    }
    timings.Sort();
    return timings[timings.Count / 2];
}

static int FreePort()
{
    using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
    listener.Start();
    return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
}

long Arg(string name, long fallback)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? long.Parse(args[index + 1], NumberStyles.Float, CultureInfo.InvariantCulture) : fallback;
}

// Settable properties: Dapper binds arrays to properties only.
internal sealed class NewLesson
{
    public string SchoolId { get; init; } = "";

    public long LessonId { get; init; }

    public long CourseId { get; init; }

    public long[] Students { get; init; } = [];
}

/// <summary>A measured scenario: which server, the request file of a round, and how wrk sends it.</summary>
internal sealed record Scenario(string Name, bool Bare, Func<int, Task<string>> File, int? Connections = null, bool Sequence = false);
