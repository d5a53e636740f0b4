using Dapper;
using Npgsql;
using NpgsqlTypes;

namespace StatsApi.Demo;

/// <summary>
/// Realistic demo schools: students in forms, a timetable of lessons over a term, and attendance with
/// the patterns real registers show (a few chronically absent students, more absence on Mondays and
/// Fridays, an illness wave, late arrivals mostly first thing). Deterministic from the seed; streamed
/// with binary COPY so benchmarks can ask for tens of millions of rows.
/// </summary>
internal sealed class DemoData(NpgsqlDataSource dataSource, ILogger<DemoData> logger)
{
    private const long SeedLockKey = 0x5374_6174_7353_6565;
    private const int FormSize = 25;
    private const int YearGroups = 5;
    private static readonly TimeSpan LessonLength = TimeSpan.FromMinutes(50);

    private sealed record School(string Id, string Name, string TimeZone);

    private sealed record Form(string Label, long[] Students);

    private sealed record Course(long Id, Form Form, long TeacherId, string Room, (int Day, int Period)[] Slots);

    private sealed record Lesson(Course Course, int Week, DayOfWeek Day, int Period, DateTime EndsAt);

    private sealed record Propensity(double Absence, double Late);

    /// <summary>Loads the demo schools in one transaction, or does nothing if any of them exists.</summary>
    public async Task<DemoDataResult> SeedAsync(DemoDataOptions options, CancellationToken cancellationToken = default)
    {
        var schools = Enumerable.Range(0, options.Schools).Select(SchoolAt).ToList();
        var ids = schools.Select(s => s.Id).ToArray();

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // A large data set loads for longer than any request may run.
        await connection.ExecuteAsync("set local statement_timeout = 0", transaction: transaction);
        await connection.ExecuteAsync("select pg_advisory_xact_lock(@key)", new { key = SeedLockKey }, transaction);
        if (await connection.ExecuteScalarAsync<bool>("select exists (select 1 from schools where school_id = any(@ids))", new { ids }, transaction))
        {
            await transaction.RollbackAsync(cancellationToken);
            return await CountAsync(connection, ids);
        }

        if (options.RollupsAfterLoad)
        {
            // Off for this transaction only: row triggers (the rollups, and foreign keys, which the
            // generator satisfies by construction) would cost a trigger call per COPY batch.
            await connection.ExecuteAsync("set local session_replication_role = replica", transaction: transaction);
        }
        var totals = new long[4];
        for (var i = 0; i < schools.Count; i++)
        {
            var random = new Random(unchecked((options.Seed * 1000) + i));
            var counts = await SeedSchoolAsync(connection, schools[i], options, random, cancellationToken);
            logger.LogInformation("Seeded {School}: {Users} users, {Courses} courses, {Lessons} lessons, {Records} attendance records",
                schools[i].Id, counts[0], counts[1], counts[2], counts[3]);
            for (var c = 0; c < totals.Length; c++)
            {
                totals[c] += counts[c];
            }
        }
        if (options.RollupsAfterLoad)
        {
            await connection.ExecuteAsync("set local session_replication_role = origin", transaction: transaction);
            await connection.ExecuteAsync("select attendance_rollups_rebuild(@ids)", new { ids }, transaction);
        }
        await transaction.CommitAsync(cancellationToken);
        return new DemoDataResult(false, schools.Count, totals[0], totals[1], totals[2], totals[3]);
    }

    private static School SchoolAt(int index) => index < DemoNames.NamedSchools.Length
        ? new School(DemoNames.NamedSchools[index].Id, DemoNames.NamedSchools[index].Name, DemoNames.NamedSchools[index].TimeZone)
        : new School($"school-{index + 1:0000}", $"School {index + 1:0000}", DemoNames.TimeZones[index % DemoNames.TimeZones.Length]);

    private static async Task<DemoDataResult> CountAsync(NpgsqlConnection connection, string[] ids)
    {
        var counts = await connection.QuerySingleAsync<(long Schools, long Users, long Courses, long Lessons, long Records)>("""
            select (select count(*) from schools where school_id = any(@ids)),
                   (select count(*) from users where school_id = any(@ids)),
                   (select count(*) from courses where school_id = any(@ids)),
                   (select count(*) from lessons where school_id = any(@ids)),
                   (select count(*) from attendance_records where school_id = any(@ids))
            """, new { ids });
        return new DemoDataResult(true, (int)counts.Schools, counts.Users, counts.Courses, counts.Lessons, counts.Records);
    }

    private static async Task<long[]> SeedSchoolAsync(NpgsqlConnection connection, School school, DemoDataOptions options, Random random, CancellationToken cancellationToken)
    {
        await connection.ExecuteAsync("insert into schools (school_id, name, time_zone) values (@Id, @Name, @TimeZone)", school);
        var timeZone = TimeZoneInfo.FindSystemTimeZoneById(school.TimeZone);

        var teacherCount = Math.Max(2, options.StudentsPerSchool / 20);
        var userIds = await InsertPeopleAsync(connection, school, 1, teacherCount, options.StudentsPerSchool, random, cancellationToken);
        var teachers = userIds[1..(1 + teacherCount)];
        var students = userIds[(1 + teacherCount)..];

        var forms = FormsOf(school, students);
        var courses = await InsertCoursesAsync(connection, school, forms, teachers, random);
        await InsertEnrolmentsAsync(connection, school, courses, options.TermStart, cancellationToken);
        var lessons = await InsertLessonsAsync(connection, school, courses, options, timeZone, cancellationToken);
        var records = await InsertAttendanceAsync(connection, school, lessons, students, options, random, cancellationToken);
        return [userIds.Length, courses.Count, lessons.Count, records];
    }

    private static async Task<long[]> InsertPeopleAsync(NpgsqlConnection connection, School school, int admins, int teachers, int students,
        Random random, CancellationToken cancellationToken)
    {
        await using (var writer = await connection.BeginBinaryImportAsync(
            "copy users (school_id, role, given_name, family_name, email) from stdin (format binary)", cancellationToken))
        {
            var total = admins + teachers + students;
            for (var i = 0; i < total; i++)
            {
                var role = i < admins ? "admin" : i < admins + teachers ? "teacher" : "student";
                var given = DemoNames.GivenNames[random.Next(DemoNames.GivenNames.Length)];
                var family = DemoNames.FamilyNames[random.Next(DemoNames.FamilyNames.Length)];
                await writer.StartRowAsync(cancellationToken);
                await writer.WriteAsync(school.Id, NpgsqlDbType.Text, cancellationToken);
                await writer.WriteAsync(role, NpgsqlDbType.Text, cancellationToken);
                await writer.WriteAsync(given, NpgsqlDbType.Text, cancellationToken);
                await writer.WriteAsync(family, NpgsqlDbType.Text, cancellationToken);
                await writer.WriteAsync($"{given}.{family}.{i + 1}@{school.Id}.example".ToLowerInvariant(), NpgsqlDbType.Text, cancellationToken);
            }
            await writer.CompleteAsync(cancellationToken);
        }
        // Identity values follow the order of the COPY, so reading them back in id order pairs them with the rows sent.
        return (await connection.QueryAsync<long>("select user_id from users where school_id = @Id order by user_id", school)).ToArray();
    }

    private static List<Form> FormsOf(School school, long[] students)
    {
        var firstYear = school.Id.Contains("primary", StringComparison.Ordinal) ? 2 : 7;
        var forms = new List<Form>();
        for (var year = 0; year < YearGroups; year++)
        {
            var cohort = students[(year * students.Length / YearGroups)..((year + 1) * students.Length / YearGroups)];
            var formCount = Math.Max(1, (int)Math.Ceiling(cohort.Length / (double)FormSize));
            for (var f = 0; f < formCount; f++)
            {
                var label = f < 26 ? $"{firstYear + year}{(char)('A' + f)}" : $"{firstYear + year}-{f + 1}";
                forms.Add(new Form(label, cohort[(f * cohort.Length / formCount)..((f + 1) * cohort.Length / formCount)]));
            }
        }
        return forms;
    }

    private static async Task<List<Course>> InsertCoursesAsync(NpgsqlConnection connection, School school, List<Form> forms, long[] teachers, Random random)
    {
        var plans = new List<(string Code, string Name, Form Form, long Teacher, string Room, (int, int)[] Slots)>();
        foreach (var (form, formIndex) in forms.Select((f, i) => (f, i)))
        {
            // A form's week: five days of five periods, dealt out to its subjects without clashes.
            var slots = Enumerable.Range(0, 25).Select(s => (Day: s / 5, Period: s % 5)).ToArray();
            random.Shuffle(slots);
            var next = 0;
            foreach (var (subject, subjectIndex) in DemoNames.Subjects.Select((s, i) => (s, i)))
            {
                var teacher = teachers[((subjectIndex * forms.Count) + formIndex) % teachers.Length];
                var room = $"{subject.Code[0]}{1 + ((formIndex + subjectIndex) % 12)}";
                plans.Add(($"{subject.Code}-{form.Label}", $"{subject.Name} {form.Label}", form, teacher, room, slots[next..(next + subject.PerWeek)]));
                next += subject.PerWeek;
            }
        }
        var ids = (await connection.QueryAsync<(long Id, string Code)>("""
            insert into courses (school_id, code, name, teacher_id)
            select @school, code, name, teacher_id from unnest(@codes, @names, @teachers) as c (code, name, teacher_id)
            returning course_id, code
            """, new
        {
            school = school.Id,
            codes = plans.Select(p => p.Code).ToArray(),
            names = plans.Select(p => p.Name).ToArray(),
            teachers = plans.Select(p => p.Teacher).ToArray(),
        }))
            .ToDictionary(c => c.Code, c => c.Id);
        return plans.Select(p => new Course(ids[p.Code], p.Form, p.Teacher, p.Room, p.Slots)).ToList();
    }

    private static async Task InsertEnrolmentsAsync(NpgsqlConnection connection, School school, List<Course> courses, DateOnly termStart, CancellationToken cancellationToken)
    {
        await using var writer = await connection.BeginBinaryImportAsync(
            "copy enrolments (school_id, course_id, student_id, enrolled_on) from stdin (format binary)", cancellationToken);
        foreach (var course in courses)
        {
            foreach (var student in course.Form.Students)
            {
                await writer.StartRowAsync(cancellationToken);
                await writer.WriteAsync(school.Id, NpgsqlDbType.Text, cancellationToken);
                await writer.WriteAsync(course.Id, NpgsqlDbType.Bigint, cancellationToken);
                await writer.WriteAsync(student, NpgsqlDbType.Bigint, cancellationToken);
                await writer.WriteAsync(termStart, NpgsqlDbType.Date, cancellationToken);
            }
        }
        await writer.CompleteAsync(cancellationToken);
    }

    private static async Task<List<(long Id, Lesson Lesson)>> InsertLessonsAsync(NpgsqlConnection connection, School school, List<Course> courses,
        DemoDataOptions options, TimeZoneInfo timeZone, CancellationToken cancellationToken)
    {
        var monday = options.FirstMonday;
        var halfTerm = options.HalfTermWeek;
        var lessons = new List<Lesson>();
        await using (var writer = await connection.BeginBinaryImportAsync(
            "copy lessons (school_id, course_id, teacher_id, starts_at, ends_at, room) from stdin (format binary)", cancellationToken))
        {
            for (var week = 0; week < options.Weeks; week++)
            {
                if (week == halfTerm)
                {
                    continue;
                }
                foreach (var course in courses)
                {
                    foreach (var (day, period) in course.Slots)
                    {
                        var date = monday.AddDays((week * 7) + day);
                        if (date < options.TermStart)
                        {
                            continue;
                        }
                        var startsAt = TimeZoneInfo.ConvertTimeToUtc(date.ToDateTime(DemoNames.Periods[period]), timeZone);
                        lessons.Add(new Lesson(course, week, date.DayOfWeek, period, startsAt + LessonLength));
                        await writer.StartRowAsync(cancellationToken);
                        await writer.WriteAsync(school.Id, NpgsqlDbType.Text, cancellationToken);
                        await writer.WriteAsync(course.Id, NpgsqlDbType.Bigint, cancellationToken);
                        await writer.WriteAsync(course.TeacherId, NpgsqlDbType.Bigint, cancellationToken);
                        await writer.WriteAsync(startsAt, NpgsqlDbType.TimestampTz, cancellationToken);
                        await writer.WriteAsync(startsAt + LessonLength, NpgsqlDbType.TimestampTz, cancellationToken);
                        await writer.WriteAsync(course.Room, NpgsqlDbType.Text, cancellationToken);
                    }
                }
            }
            await writer.CompleteAsync(cancellationToken);
        }
        var ids = (await connection.QueryAsync<long>("select lesson_id from lessons where school_id = @Id order by lesson_id", school)).ToList();
        return ids.Zip(lessons).ToList();
    }

    private static async Task<long> InsertAttendanceAsync(NpgsqlConnection connection, School school, List<(long Id, Lesson Lesson)> lessons,
        long[] students, DemoDataOptions options, Random random, CancellationToken cancellationToken)
    {
        // Most students miss a few lessons; about one in twelve is chronically absent.
        var propensity = students.ToDictionary(s => s, _ => new Propensity(
            Absence: random.NextDouble() < 0.08 ? 0.15 + (random.NextDouble() * 0.15) : 0.02 + (random.NextDouble() * 0.03),
            Late: 0.02 + (random.NextDouble() * 0.04)));
        var illnessWeek = random.Next(options.Weeks);

        long written = 0;
        await using var writer = await connection.BeginBinaryImportAsync(
            "copy attendance_records (school_id, lesson_id, student_id, status, recorded_by, recorded_at) from stdin (format binary)", cancellationToken);
        foreach (var (lessonId, lesson) in lessons)
        {
            var dayFactor = lesson.Day switch { DayOfWeek.Monday => 1.3, DayOfWeek.Friday => 1.4, _ => 1.0 };
            var waveFactor = lesson.Week == illnessWeek ? 2.0 : 1.0;
            var recordedAt = lesson.EndsAt.AddMinutes(1 + random.Next(10));
            foreach (var student in lesson.Course.Form.Students)
            {
                var (absence, late) = propensity[student];
                var absent = Math.Min(0.9, absence * dayFactor * waveFactor);
                var lateness = lesson.Period == 0 ? late * 2 : late;
                var roll = random.NextDouble();
                var status = roll < absent ? random.NextDouble() < 0.4 ? "excused" : "absent"
                    : roll < absent + lateness ? "late"
                    : "present";
                await writer.StartRowAsync(cancellationToken);
                await writer.WriteAsync(school.Id, NpgsqlDbType.Text, cancellationToken);
                await writer.WriteAsync(lessonId, NpgsqlDbType.Bigint, cancellationToken);
                await writer.WriteAsync(student, NpgsqlDbType.Bigint, cancellationToken);
                await writer.WriteAsync(status, NpgsqlDbType.Text, cancellationToken);
                await writer.WriteAsync(lesson.Course.TeacherId, NpgsqlDbType.Bigint, cancellationToken);
                await writer.WriteAsync(recordedAt, NpgsqlDbType.TimestampTz, cancellationToken);
                written++;
            }
        }
        await writer.CompleteAsync(cancellationToken);
        return written;
    }
}
