using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using StatsApi.Attendance;
using StatsApi.Data;

// Measures the attendance summary read from the rollup against the same totals counted from the
// attendance records (the baseline), on one database in one run, and prints the figures.
var connectionString = Environment.GetEnvironmentVariable("ConnectionStrings__Default")
    ?? throw new InvalidOperationException("Set ConnectionStrings__Default (scripts/bench.sh does).");
var options = new DemoDataOptions
{
    Schools = Arg("--schools", 20),
    StudentsPerSchool = Arg("--students-per-school", 1000),
    Weeks = Arg("--weeks", 12),
};
var iterations = Arg("--iterations", 30);

await using var dataSource = NpgsqlDataSource.Create(connectionString);
await new Migrator(dataSource, NullLogger<Migrator>.Instance).ApplyAsync();
var seeding = Stopwatch.StartNew();
var seeded = await new DemoData(dataSource, NullLogger<DemoData>.Instance).SeedAsync(options);
seeding.Stop();

await using (var vacuum = dataSource.CreateCommand("vacuum analyze"))
{
    await vacuum.ExecuteNonQueryAsync();
}
long records;
await using (var count = dataSource.CreateCommand("select count(*) from attendance_records"))
{
    records = (long)(await count.ExecuteScalarAsync())!;
}
Console.WriteLine($"data: {options.Schools} schools x {options.StudentsPerSchool} students x {options.Weeks} weeks, {records:N0} attendance records" +
    (seeded.Skipped ? " (already loaded)" : $", loaded in {seeding.Elapsed.TotalSeconds:F1} s ({records / seeding.Elapsed.TotalSeconds:N0} rows/s)"));

var query = new SummaryQuery(dataSource);
var from = options.TermStart;
var to = options.TermStart.AddDays(options.Weeks * 7 - 1);
var term = new SummaryRequest("ravenscroft-high", from, to, null, SummaryGrouping.None);
var byWeek = term with { GroupBy = SummaryGrouping.Week };

var rollup = await MeasureAsync(() => query.RunAsync(term, CancellationToken.None));
var rollupWeeks = await MeasureAsync(() => query.RunAsync(byWeek, CancellationToken.None));
var baseline = await MeasureAsync(() => CountFromRecordsAsync(term));

Console.WriteLine($"summary of one school's term, {iterations} runs each (median / p95, ms):");
Print("rollup, totals", rollup);
Print("rollup, group_by=week", rollupWeeks);
Print("baseline: count(*) over attendance_records", baseline);
Console.WriteLine($"ratio baseline/rollup (median): {Median(baseline) / Median(rollup):F1}x");

if (Environment.GetEnvironmentVariable("STATSAPI_DLL") is { Length: > 0 } serviceDll)
{
    await HttpLoad.RunAsync(serviceDll, connectionString,
        $"/stats/v1/attendance/summary?school_id=ravenscroft-high&from={from:yyyy-MM-dd}&to={to:yyyy-MM-dd}&group_by=week",
        TimeSpan.FromSeconds(Arg("--seconds", 10)), Arg("--concurrency", 16));
}
return 0;

async Task<object> CountFromRecordsAsync(SummaryRequest request)
{
    await using var command = dataSource.CreateCommand("""
        select a.status, count(*)
        from attendance_records a
        join lessons l on l.school_id = a.school_id and l.lesson_id = a.lesson_id
        join schools s on s.school_id = a.school_id
        where a.school_id = $1 and (l.starts_at at time zone s.time_zone)::date between $2 and $3
        group by a.status
        """);
    command.Parameters.Add(new() { Value = request.SchoolId });
    command.Parameters.Add(new() { Value = request.From });
    command.Parameters.Add(new() { Value = request.To });
    var counts = new Dictionary<string, long>();
    await using var reader = await command.ExecuteReaderAsync();
    while (await reader.ReadAsync())
    {
        counts[reader.GetString(0)] = reader.GetInt64(1);
    }
    return counts;
}

async Task<List<double>> MeasureAsync<T>(Func<Task<T>> run)
{
    for (var i = 0; i < 3; i++)
    {
        await run();
    }
    var timings = new List<double>();
    for (var i = 0; i < iterations; i++)
    {
        var stopwatch = Stopwatch.StartNew();
        await run();
        timings.Add(stopwatch.Elapsed.TotalMilliseconds);
    }
    timings.Sort();
    return timings;
}

static double Median(List<double> sorted) => sorted[sorted.Count / 2];

static void Print(string name, List<double> sorted) =>
    Console.WriteLine($"  {name,-44} {Median(sorted),9:F2} / {sorted[(int)(sorted.Count * 0.95)],9:F2}");

int Arg(string name, int fallback)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? int.Parse(args[index + 1], CultureInfo.InvariantCulture) : fallback;
}
