using Dapper;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using StatsApi.Tests.Infrastructure;
using StatsApi.Data;
using StatsApi.Demo;

namespace StatsApi.Tests;

[LongRunning(9)]
public class DemoDataTests
{
    private static readonly DemoDataOptions Small = new() { Seed = 11, Schools = 4, StudentsPerSchool = 30, Weeks = 3 };

    private static async Task<NpgsqlDataSource> SeededAsync(DemoDataOptions options)
    {
        var connectionString = await TestPostgres.CreateEmptyDatabaseAsync();
        var dataSource = NpgsqlDataSource.Create(connectionString);
        await new Migrator(dataSource, NullLogger<Migrator>.Instance).ApplyAsync();
        // On a Citus cluster (TestCitus), the load runs on the distributed tables, triggers and all.
        await TestCitus.DistributeAsync(connectionString);
        var result = await new DemoData(dataSource, NullLogger<DemoData>.Instance).SeedAsync(options);
        Assert.False(result.Skipped);
        return dataSource;
    }

    private static async Task<string> FingerprintAsync(NpgsqlDataSource dataSource)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        return (await connection.ExecuteScalarAsync<string>("""
            select md5(string_agg(concat_ws('|', a.school_id, l.starts_at, u.email, a.status), ',' order by a.school_id, l.starts_at, u.email))
            from attendance_records a
            join lessons l on l.school_id = a.school_id and l.lesson_id = a.lesson_id
            join users u on u.school_id = a.school_id and u.user_id = a.student_id
            """))!;
    }

    [Fact]
    public async Task TheSameSeedMakesTheSameRowsAndAnotherSeedOthers()
    {
        await using var first = await SeededAsync(Small);
        await using var second = await SeededAsync(Small);
        await using var other = await SeededAsync(Small with { Seed = 12 });

        Assert.Equal(await FingerprintAsync(first), await FingerprintAsync(second));
        Assert.NotEqual(await FingerprintAsync(first), await FingerprintAsync(other));
    }

    [Fact]
    public async Task ABulkLoadWithTheRollupsBuiltAfterMakesTheSameRowsAndExactRollups()
    {
        await using var triggered = await SeededAsync(Small);
        await using var bulk = await SeededAsync(Small with { RollupsAfterLoad = true });

        Assert.Equal(await FingerprintAsync(triggered), await FingerprintAsync(bulk));
        await using var connection = await bulk.OpenConnectionAsync();
        Assert.True(await connection.ExecuteScalarAsync<long>("select count(*) from attendance_school_daily") > 0);
        Assert.Equal(0, await Rollups.MismatchesAsync(connection));
    }

    [Fact]
    public async Task TheTeachingDaysAreTheDaysThatHaveLessons()
    {
        var term = new DemoDataOptions { Seed = 3, Schools = 1, StudentsPerSchool = 10, Weeks = 9 };
        await using var dataSource = await SeededAsync(term);
        await using var connection = await dataSource.OpenConnectionAsync();

        var days = await connection.ExecuteScalarAsync<long>(
            "select count(distinct (l.starts_at at time zone s.time_zone)::date) from lessons l join schools s on s.school_id = l.school_id");

        Assert.Equal(9 * 5 - 5 - 1, term.TeachingDays());
        Assert.Equal(term.TeachingDays(), days);
    }

    [Fact]
    public async Task SeedingAgainChangesNothing()
    {
        await using var dataSource = await SeededAsync(Small);
        var before = await FingerprintAsync(dataSource);

        var again = await new DemoData(dataSource, NullLogger<DemoData>.Instance).SeedAsync(Small);

        Assert.True(again.Skipped);
        Assert.Equal(4, again.Schools);
        Assert.Equal(before, await FingerprintAsync(dataSource));
    }

    [Fact]
    public async Task TheDataLooksLikeARealTermAndTheRollupIsExact()
    {
        await using var dataSource = await SeededAsync(Small);
        await using var connection = await dataSource.OpenConnectionAsync();

        var schools = (await connection.QueryAsync<string>("select school_id from schools order by school_id")).ToList();
        Assert.Contains("oakwood-primary", schools);
        Assert.Contains("ravenscroft-high", schools);
        Assert.Contains("lakeside-academy", schools);
        Assert.Equal(4, schools.Count);

        var shares = await connection.QuerySingleAsync<(double Absent, double Late, long Weekend)>("""
            select avg((status in ('absent', 'excused'))::int),
                   avg((status = 'late')::int),
                   count(*) filter (where extract(isodow from l.starts_at at time zone s.time_zone) > 5)
            from attendance_records a
            join lessons l on l.school_id = a.school_id and l.lesson_id = a.lesson_id
            join schools s on s.school_id = a.school_id
            """);
        Assert.InRange(shares.Absent, 0.02, 0.15);
        Assert.InRange(shares.Late, 0.01, 0.10);
        Assert.Equal(0, shares.Weekend);

        Assert.Equal(0, await Rollups.MismatchesAsync(connection));
    }

    [Fact]
    public void OutOfRangeSizesAreNamed()
    {
        var errors = new DemoDataOptions { Schools = 0, StudentsPerSchool = 5, Weeks = 60 }.Validate();
        Assert.Equal(["schools", "students-per-school", "weeks"], errors.Keys.Order());
    }
}
