using System.Globalization;
using StatsApi.Data;
using StatsApi.Demo;

namespace StatsApi.Admin;

// The commands that prepare the database: migrate and seed.
internal static partial class AdminCli
{
    private static async Task<int> MigrateAsync(IServiceProvider services, CommandLine line, TextWriter output)
    {
        var applied = await services.GetRequiredService<Migrator>().ApplyAsync();
        Write(output, line, new { applied }, applied.Count == 0
            ? "The database is up to date."
            : $"Applied {applied.Count} migration(s): {string.Join(", ", applied)}.");
        return 0;
    }

    private static DemoDataOptions SeedOptionsFrom(CommandLine line)
    {
        line.Allow("seed", "schools", "students-per-school", "term-start", "weeks");
        var defaults = new DemoDataOptions();
        var options = new DemoDataOptions
        {
            Seed = Int(line, "seed") ?? defaults.Seed,
            Schools = Int(line, "schools") ?? defaults.Schools,
            StudentsPerSchool = Int(line, "students-per-school") ?? defaults.StudentsPerSchool,
            TermStart = line.Option("term-start") is { } start
                ? DateOnly.TryParseExact(start, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date)
                    ? date
                    : throw new UsageException("--term-start must be a date such as 2026-09-01.")
                : defaults.TermStart,
            Weeks = Int(line, "weeks") ?? defaults.Weeks,
        };
        var invalid = options.Validate();
        return invalid.Count == 0 ? options : throw new UsageException(string.Join(" ", invalid.Values));
    }

    private static async Task<int> SeedAsync(IServiceProvider services, CommandLine line, TextWriter output, TextWriter error)
    {
        var options = SeedOptionsFrom(line);
        await services.GetRequiredService<Migrator>().ApplyAsync();
        var result = await ActivatorUtilities.CreateInstance<DemoData>(services).SeedAsync(options);
        Write(output, line, result, result.Skipped
            ? $"The demo schools exist already; nothing was changed ({result.AttendanceRecords} attendance records)."
            : $"Loaded {result.Schools} schools: {result.Users} users, {result.Courses} courses, {result.Lessons} lessons, {result.AttendanceRecords} attendance records.");
        return 0;
    }
}
