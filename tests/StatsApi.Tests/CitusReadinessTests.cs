using System.Net;
using System.Text.RegularExpressions;
using Dapper;
using StatsApi.Tests.Infrastructure;
using StatsApi.Data;

namespace StatsApi.Tests;

/// <summary>Logs the SQL of every command the service runs (Npgsql's own command log), never parameters.</summary>
public sealed class CommandLoggingFactory : StatsApiFactory
{
    public CommandLoggingFactory() => With("Logging:LogLevel:Npgsql.Command", "Debug");

    /// <summary>Each statement run, in the form Npgsql sends it (parameters as $1, $2, ...), a batch's one by one.</summary>
    /// <summary>
    /// The statements run while answering requests under <paramref name="path"/> (the hosting log scope's
    /// RequestPath): the instance's background loops, which poll revocations and keys meanwhile, are not the
    /// requests' statements.
    /// </summary>
    public IReadOnlyList<string> CommandsOfRequestsTo(string path) =>
        CommandsWhere(e => e.Properties.TryGetValue("RequestPath", out var requested) && $"{requested}".StartsWith(path, StringComparison.Ordinal));

    private List<string> CommandsWhere(Func<LogEntry, bool> holds) => Logs.Entries
        .Where(e => e.Category.StartsWith("Npgsql.Command", StringComparison.Ordinal) && holds(e))
        .SelectMany(e => e.Properties.TryGetValue("CommandText", out var text) ? [$"{text}"]
            : e.Properties.TryGetValue("BatchCommands", out var batch) && batch is System.Collections.IEnumerable commands ? commands.Cast<object>().Select(c => $"{c}")
            : [])
        .ToList();
}

/// <summary>
/// Ready to be distributed by school_id (docs/scale-out.md): every table of school data leads its keys
/// with school_id and every other one is a reference table; every statement the code runs on school
/// data touches exactly one school, but for the few listed in SchoolDistribution.Spanning (StatementsOfTheRunTests
/// checks every statement the whole suite ran; this class the summary's shapes); and the functions
/// the triggers run touch only the schools of the statement that fired them.
/// </summary>
public class CitusReadinessTests(CommandLoggingFactory app) : IClassFixture<CommandLoggingFactory>
{
    private const string School = "oakwood-primary";
    private const string SummaryPath = "/stats/v1/attendance/summary";

    // Plans are read on a migrated database that holds no row and was never analysed, so the planner's
    // choices rest on its defaults alone, never on what this class's other tests wrote meanwhile.
    private static readonly Lazy<Task<string>> Planning = new(async () =>
    {
        var connectionString = await TestPostgres.CreateEmptyDatabaseAsync();
        await using var dataSource = Npgsql.NpgsqlDataSource.Create(connectionString);
        await new Migrator(dataSource, Microsoft.Extensions.Logging.Abstractions.NullLogger<Migrator>.Instance).ApplyAsync();
        return connectionString;
    });

    /// <summary>A connection to the planning database and its tables of school data.</summary>
    internal static async Task<(Npgsql.NpgsqlConnection Connection, IReadOnlySet<string> Distributed)> OpenAsync()
    {
        var connection = new Npgsql.NpgsqlConnection(await Planning.Value);
        await connection.OpenAsync();
        return (connection, await SchoolDistribution.DistributedTablesAsync(connection));
    }

    // Settable properties: Dapper binds text[] columns to properties only.
    private sealed class TableShape
    {
        public string Table { get; init; } = "";
        public string? FirstKey { get; init; }
        public string[] UniqueWithoutSchool { get; init; } = [];
        public string[] ForeignKeysWithoutSchool { get; init; } = [];
        public string[] References { get; init; } = [];
    }

    [Fact]
    public async Task EveryTableOfSchoolDataLeadsItsKeysWithSchoolIdAndEveryOtherIsAReferenceTable()
    {
        var (connection, distributed) = await OpenAsync();
        await using var _ = connection;
        var shapes = (await connection.QueryAsync<TableShape>("""
            select c.relname as table,
                   (select a.attname from pg_index i join pg_attribute a on a.attrelid = i.indrelid and a.attnum = i.indkey[0]
                    where i.indrelid = c.oid and i.indisprimary) as first_key,
                   array(select ic.relname from pg_index i join pg_class ic on ic.oid = i.indexrelid
                         where i.indrelid = c.oid and i.indisunique and not exists (
                             select 1 from unnest(i.indkey[0:i.indnkeyatts - 1]) k join pg_attribute a on a.attrelid = c.oid and a.attnum = k
                             where a.attname = 'school_id')) as unique_without_school,
                   array(select con.conname from pg_constraint con
                         where con.conrelid = c.oid and con.contype = 'f' and not exists (
                             select 1 from unnest(con.conkey) k join pg_attribute a on a.attrelid = c.oid and a.attnum = k
                             where a.attname = 'school_id')) as foreign_keys_without_school,
                   array(select f.relname from pg_constraint con join pg_class f on f.oid = con.confrelid
                         where con.conrelid = c.oid and con.contype = 'f') as references
            from pg_class c join pg_namespace n on n.oid = c.relnamespace and n.nspname = 'public'
            where c.relkind in ('r', 'p')
            order by c.relname
            """)).ToList();

        var failures = new List<string>();
        foreach (var shape in shapes)
        {
            if (SchoolDistribution.ReferenceTables.ContainsKey(shape.Table))
            {
                failures.AddRange(shape.References.Where(distributed.Contains)
                    .Select(r => $"reference table {shape.Table} references {r}, which is distributed"));
                continue;
            }
            if (shape.FirstKey != "school_id")
            {
                failures.Add($"{shape.Table}: its primary key leads with {shape.FirstKey ?? "nothing"}, not school_id (or it is not in SchoolDistribution.ReferenceTables)");
            }
            failures.AddRange(shape.UniqueWithoutSchool.Select(i => $"{shape.Table}: unique index {i} lacks school_id"));
            failures.AddRange(shape.ForeignKeysWithoutSchool.Select(f => $"{shape.Table}: foreign key {f} lacks school_id"));
        }
        Assert.Empty(failures);
        Assert.Empty(SchoolDistribution.ReferenceTables.Keys.Except(shapes.Select(s => s.Table)));
    }

    [Fact]
    public async Task TheDistributionPlanNamesEveryTableOnce()
    {
        var (connection, distributed) = await OpenAsync();
        await using var _ = connection;
        var plan = Repository.Read("docs/scale-out.md");

        var referenced = Regex.Matches(plan, @"create_reference_table\('(\w+)'\)").Select(m => m.Groups[1].Value).ToList();
        var sharded = Regex.Matches(plan, @"create_distributed_table\('(\w+)',\s*'school_id'").Select(m => m.Groups[1].Value).ToList();

        Assert.Equal(SchoolDistribution.ReferenceTables.Keys.Order(StringComparer.Ordinal), referenced.Order(StringComparer.Ordinal));
        Assert.Equal(distributed.Order(StringComparer.Ordinal), sharded.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task EveryStatementTheSummaryBuildsTouchesExactlyOneSchool()
    {
        long course, teacher, student;
        await using (var lookup = await app.DataSource.OpenConnectionAsync())
        {
            (course, teacher) = await lookup.QuerySingleAsync<(long, long)>(
                "select course_id, teacher_id from courses where school_id = @School and teacher_id is not null order by course_id limit 1", new { School });
            student = await lookup.ExecuteScalarAsync<long>("select student_id from enrolments where school_id = @School and course_id = @course limit 1", new { School, course });
        }
        var client = await app.CreateClientForSchoolsAsync(School);
        var asTeacher = await app.ActAsAsync(School, teacher);
        var before = app.CommandsOfRequestsTo(SummaryPath).Count;
        foreach (var query in new[]
        {
            "", "&group_by=day", "&group_by=week", "&group_by=month", "&group_by=course",
            $"&course_id={course}", $"&teacher_id={teacher}", $"&teacher_id={teacher}&course_id={course}&group_by=course",
            $"&student_id={student}&group_by=week",
        })
        {
            var response = await client.GetAsync($"/stats/v1/attendance/summary?school_id={School}&from=2026-09-01&to=2026-12-31{query}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        // A teacher's summary is narrowed to the lessons they may read: shapes of their own.
        foreach (var query in new[] { "", "&group_by=course", $"&course_id={course}", $"&student_id={student}", $"&teacher_id={teacher}&group_by=day" })
        {
            var response = await asTeacher.GetAsync($"/stats/v1/attendance/summary?school_id={School}&from=2026-09-01&to=2026-12-31{query}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var run = app.CommandsOfRequestsTo(SummaryPath).Skip(before).SelectMany(SqlText.Split).Distinct(StringComparer.Ordinal).ToList();
        Assert.NotEmpty(run);
        var (connection, distributed) = await OpenAsync();
        await using var _ = connection;
        var citus = await SchoolDistribution.CitusSchemaAsync(connection, distributed);
        var failures = new List<string>();
        foreach (var statement in run)
        {
            var problem = await SchoolDistribution.PlanProblemAsync(connection, distributed, statement);
            if (problem is not null)
            {
                failures.Add($"{statement}\n    {problem}");
            }
            failures.AddRange(CitusRules.StatementProblems(statement, citus, spansShards: problem is not null).Select(p => $"{statement}\n    {p}"));
        }
        Assert.True(run.Count(s => s.Contains("attendance_", StringComparison.Ordinal)) >= 5, $"The summary ran only: {string.Join("\n", run)}");
        Assert.True(failures.Count == 0, string.Join("\n\n", failures));
    }

    [Fact]
    public async Task EveryFunctionOfTheMigrationsTouchesOnlyTheSchoolsOfTheStatementThatFiredIt()
    {
        var (connection, distributed) = await OpenAsync();
        await using var _ = connection;
        var functions = SchoolDistribution.MigrationFunctions(Migrator.All.Select(m => m.Sql));

        var defined = (await connection.QueryAsync<(string Name, string[]? Parameters)>("""
            select p.proname, p.proargnames from pg_proc p join pg_namespace n on n.oid = p.pronamespace and n.nspname = 'public'
            """)).ToDictionary(f => f.Name, f => f.Parameters ?? []);
        var citus = await SchoolDistribution.CitusSchemaAsync(connection, distributed);

        Assert.Equal(defined.Keys.Order(StringComparer.Ordinal), functions.Keys.Order(StringComparer.Ordinal));
        var problems = functions.SelectMany(f => SchoolDistribution.FunctionProblems(f.Key, f.Value, distributed, citus, defined[f.Key])).ToList();
        Assert.True(problems.Count == 0, string.Join("\n\n", problems));
    }

    [Theory]
    [InlineData("select * from lessons where lesson_id = @lessonId", "reads lessons")]
    [InlineData("select count(*) from attendance_records", "reads attendance_records")]
    [InlineData("select * from schools where school_id = any(@ids)", "reads schools")]
    [InlineData("select * from lessons where school_id = @school or lesson_id = @lessonId", "reads lessons")]
    [InlineData("select u.user_id from users u join enrolments e on e.student_id = u.user_id where u.school_id = @school", "reads enrolments")]
    [InlineData("select * from lessons l where l.school_id = @school and exists (select 1 from attendance_records a where a.lesson_id = l.lesson_id)", "reads attendance_records")]
    [InlineData("update lessons set room = 'B2' where lesson_id = @lessonId", "reads lessons")]
    [InlineData("delete from idempotency_keys where created_at < now() - @lifetime", "reads idempotency_keys")]
    [InlineData("insert into audit_events (school_id, client_id, request_id, action, object_type, object_id) select school_id, 'c', 'r', 'a', 'o', '1' from schools where school_id = @school", "inserts into audit_events")]
    [InlineData("select u.school_id, t.token_id from user_api_tokens t join users u on u.school_id = t.school_id and u.user_id = t.user_id join api_token_hashes h on h.school_id = t.school_id and h.token_id = t.token_id where h.token_hash = @hash", "reads user_api_tokens")]
    public async Task TheCheckRefusesAStatementThatReachesBeyondOneSchool(string sql, string expected)
    {
        var (connection, distributed) = await OpenAsync();
        await using var _ = connection;

        var problem = await SchoolDistribution.PlanProblemAsync(connection, distributed, sql);

        Assert.NotNull(problem);
        Assert.Contains(expected, problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("select * from lessons l join attendance_records a on a.school_id = l.school_id and a.lesson_id = l.lesson_id where l.school_id = @school")]
    [InlineData("select * from lessons l where l.school_id = @school and (@student::bigint is null or exists (select 1 from enrolments e where e.school_id = l.school_id and e.course_id = l.course_id and e.student_id = @student))")]
    [InlineData("insert into courses (school_id, code, name) values (@school, @code, @name)")]
    [InlineData("update lessons set room = 'B2' where school_id = @school and lesson_id = @lessonId")]
    [InlineData("select client_id from api_clients where secret_hash = @hash")]
    public async Task TheCheckAcceptsAStatementOnOneSchool(string sql)
    {
        var (connection, distributed) = await OpenAsync();
        await using var _ = connection;

        Assert.Null(await SchoolDistribution.PlanProblemAsync(connection, distributed, sql));
    }

    [Fact]
    public async Task TheFunctionCheckRefusesAReadUntiedToTheRowsThatFiredIt()
    {
        var (connection, distributed) = await OpenAsync();
        await using var _ = connection;
        const string Tied = """
            declare
                school text;
                lesson_ids bigint[];
            begin
                for school, lesson_ids in select r.school_id, array_agg(r.lesson_id) from new_rows r group by r.school_id order by r.school_id loop
                    perform from lessons l where l.school_id = school and l.lesson_id = any(lesson_ids) order by l.lesson_id for share;
                    perform from unnest(lesson_ids) r (lesson_id) join lessons l on l.school_id = school and l.lesson_id = r.lesson_id
                        join schools s on s.school_id = l.school_id;
                end loop;
                return null;
            end
            """;
        const string Untied = """
            begin
                perform from new_rows r join lessons l on l.lesson_id = r.lesson_id;
                delete from attendance_daily where day < current_date;
                return null;
            end
            """;

        Assert.Empty(SchoolDistribution.FunctionProblems("tied", Tied, distributed));
        var problems = SchoolDistribution.FunctionProblems("untied", Untied, distributed);
        Assert.Contains(problems, p => p.Contains("reads lessons (l) untied", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("reads attendance_daily (attendance_daily) untied", StringComparison.Ordinal));
    }

    // The statements of the service that a real Citus 13 cluster refused (issue 20), as they were written then.
    private const string IdempotencyClaim = """
        insert into idempotency_keys (school_id, client_id, idempotency_key, request_hash, status)
        values (@school, @client, @key, @fingerprint, 0)
        on conflict (school_id, client_id, idempotency_key) do update
            set request_hash = excluded.request_hash, status = 0, location = null, etag = null, body = null, created_at = now()
            where idempotency_keys.created_at < now() - @lifetime
        returning true
        """;
    private const string RevocationUpsert = """
        insert into token_revocations (kind, subject) values (@kind, @subject)
        on conflict (kind, subject) do update set revoked_at = now()
        """;
    private const string ClientRevoke = """
        update api_clients set revoked_at = coalesce(revoked_at, now())
        where client_id = @clientId
        returning client_id, revoked_at
        """;
    private const string EnrolmentInsert = """
        insert into enrolments (school_id, course_id, student_id, enrolled_on)
        values (@school, @courseId, @studentId, coalesce(@on::date, (now() at time zone (select time_zone from schools where school_id = @school))::date))
        on conflict do nothing
        returning course_id, student_id, enrolled_on
        """;
    private const string LockingSweep = """
        delete from idempotency_keys where (school_id, client_id, idempotency_key) in (
            select school_id, client_id, idempotency_key from idempotency_keys where created_at < now() - @lifetime
            limit @batch for update skip locked)
        """;

    /// <summary>What the check finds wrong with a statement of the code for Citus: as StatementsOfTheRunTests does it.</summary>
    private static async Task<IReadOnlyList<string>> CitusProblemsAsync(string sql)
    {
        var (connection, distributed) = await OpenAsync();
        await using var _ = connection;
        var spans = await SchoolDistribution.PlanProblemAsync(connection, distributed, sql) is not null
                    || SchoolDistribution.Spanning.Any(s => sql.Contains(s.Contains, StringComparison.Ordinal));
        return CitusRules.StatementProblems(sql, await SchoolDistribution.CitusSchemaAsync(connection, distributed), spans);
    }

    [Theory]
    [InlineData(IdempotencyClaim, "calls now() in ON CONFLICT DO UPDATE of idempotency_keys")]
    [InlineData(RevocationUpsert, "calls now() in ON CONFLICT DO UPDATE of token_revocations")]
    [InlineData(ClientRevoke, "calls now() inside COALESCE of an UPDATE of api_clients")]
    [InlineData(EnrolmentInsert, "has a subquery among the VALUES of an INSERT into enrolments")]
    [InlineData(LockingSweep, "locks rows (for update skip locked) in a statement that spans shards")]
    [InlineData("update lessons set room = case when room is null then to_char(now(), 'HH24') end where school_id = @school", "calls to_char(), now() inside CASE of an UPDATE of lessons")]
    [InlineData("select l.lesson_id from lessons l where l.course_id = @course for share", "locks rows (for share) in a statement that spans shards")]
    [InlineData("insert into summary_versions (school_id, version) values (@school, nextval('summary_version'))", "calls nextval('summary_version') outside a column default")]
    public async Task TheCitusCheckRefusesEachClassOfStatementACitusClusterRefused(string sql, string expected)
    {
        var problems = await CitusProblemsAsync(sql);

        Assert.Contains(problems, p => p.Contains(expected, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("""
        insert into idempotency_keys (school_id, client_id, idempotency_key, request_hash, status)
        values (@school, @client, @key, @fingerprint, 0)
        on conflict (school_id, client_id, idempotency_key) do update
            set request_hash = excluded.request_hash, status = 0, location = null, etag = null, body = null, created_at = excluded.created_at
            where excluded.created_at - idempotency_keys.created_at > @lifetime
        returning true
        """)]
    [InlineData("insert into token_revocations (kind, subject) values (@kind, @subject) on conflict (kind, subject) do update set revoked_at = excluded.revoked_at")]
    [InlineData("update api_clients set revoked_at = now() where client_id = @clientId and revoked_at is null returning client_id, revoked_at")]
    [InlineData("""
        insert into enrolments (school_id, course_id, student_id, enrolled_on)
        select s.school_id, @courseId, @studentId, coalesce(@on::date, (now() at time zone s.time_zone)::date)
        from schools s where s.school_id = @school
        on conflict do nothing
        returning course_id, student_id, enrolled_on
        """)]
    [InlineData("delete from idempotency_keys where created_at < @before")]
    [InlineData("select course_id from lessons where school_id = @school and lesson_id = @lessonId for share")]
    public async Task TheCitusCheckAcceptsTheirRewrites(string sql)
    {
        Assert.Empty(await CitusProblemsAsync(sql));
    }

    /// <summary>The functions as migrations 0001 to 0009 left them, which a real Citus 13 cluster refused on its workers.</summary>
    private static IReadOnlyDictionary<string, string> FunctionsBefore0010() =>
        SchoolDistribution.MigrationFunctions(Migrator.All.Where(m => string.CompareOrdinal(m.Version, "0010") < 0).Select(m => m.Sql));

    [Fact]
    public async Task TheFunctionCheckRefusesATransitionTableWithADistributedTableAndARowLockAcrossShards()
    {
        var (connection, distributed) = await OpenAsync();
        await using var _ = connection;
        var citus = await SchoolDistribution.CitusSchemaAsync(connection, distributed);

        // "could not run distributed query with FOR UPDATE/SHARE commands", on the first COPY of seed.
        var problems = SchoolDistribution.FunctionProblems("attendance_rollup_on_insert", FunctionsBefore0010()["attendance_rollup_on_insert"], distributed, citus, []);

        Assert.Contains(problems, p => p.Contains("reads the transition table new_rows in a statement with the distributed table schools", StringComparison.Ordinal)
                                       && p.Contains("for share", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("locks rows (for share) in a statement that spans shards", StringComparison.Ordinal)
                                       && p.Contains("from schools s where s.school_id in (select school_id from new_rows)", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("reads the transition table new_rows in a statement with the distributed table lessons, schools", StringComparison.Ordinal)
                                       && p.Contains("attendance_rollup_apply", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TheFunctionCheckRefusesASequenceCalledByName()
    {
        var (connection, distributed) = await OpenAsync();
        await using var _ = connection;
        var citus = await SchoolDistribution.CitusSchemaAsync(connection, distributed);

        // 'relation "summary_version" does not exist', on renaming a course.
        var problems = SchoolDistribution.FunctionProblems("summary_versions_bump", FunctionsBefore0010()["summary_versions_bump"], distributed, citus, ["changed"]);

        Assert.Contains(problems, p => p.Contains("calls nextval('summary_version') outside a column default", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TheFunctionCheckRefusesADistributedTableReadForSeveralSchoolsAtOnce()
    {
        var (connection, distributed) = await OpenAsync();
        await using var _ = connection;
        var citus = await SchoolDistribution.CitusSchemaAsync(connection, distributed);

        // "could not create distributed plan", on changing a school's time zone.
        var problems = SchoolDistribution.FunctionProblems("attendance_rollups_rebuild", FunctionsBefore0010()["attendance_rollups_rebuild"], distributed, citus, ["changed"]);

        Assert.Contains(problems, p => p.Contains("reads attendance_daily (d) without school_id = one school", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("reads attendance_records (a), lessons (l), schools (s) without school_id = one school", StringComparison.Ordinal));
    }

    [Fact]
    public void ThePlpgsqlReaderFindsTheStatementsInsideLoopsAndConditionsAndWhatTheyFill()
    {
        const string Body = """
            declare
                school text;
                zone text;
                ids bigint[];
            begin
                if not exists (select from new_rows) then
                    return null;
                end if;
                -- a comment; with a semicolon
                for school, ids in select r.school_id, array_agg(r.lesson_id) from new_rows r group by 1 order by 1 loop
                    select s.time_zone into zone from schools s where s.school_id = school for share;
                    perform attendance_rollup_apply(ids);
                end loop;
                ids := array(select lesson_id from old_rows);
                return null;
            end
            """;

        var statements = CitusRules.BodyStatements(Body);

        Assert.Equal(
            ["select not exists (select from new_rows)",
             "select r.school_id, array_agg(r.lesson_id) from new_rows r group by 1 order by 1",
             "select s.time_zone into zone from schools s where s.school_id = school for share",
             "select attendance_rollup_apply(ids)",
             "select array(select lesson_id from old_rows)"],
            statements.Select(s => Regex.Replace(s.Sql, @"\s+", " ").Trim()));
        Assert.Equal([[], ["school", "ids"], ["zone"], [], ["ids"]], statements.Select(s => s.Targets.ToArray()));
    }
}
