namespace StatsApi.Demo;

/// <summary>The size and shape of the demo data; the same options always make the same rows.</summary>
internal sealed record DemoDataOptions
{
    public int Seed { get; init; } = 42;

    public int Schools { get; init; } = 3;

    public int StudentsPerSchool { get; init; } = 400;

    /// <summary>The first day of the term; lessons fall on weekdays from here on.</summary>
    public DateOnly TermStart { get; init; } = new(2026, 9, 1);

    public int Weeks { get; init; } = 12;

    /// <summary>The Monday of the term's first week.</summary>
    public DateOnly FirstMonday => TermStart.AddDays(-(((int)TermStart.DayOfWeek + 6) % 7));

    /// <summary>The week off in the middle of a term of eight weeks or more; -1 in a shorter one.</summary>
    public int HalfTermWeek => Weeks >= 8 ? Weeks / 2 : -1;

    /// <summary>The lessons a student has in a full week of the timetable.</summary>
    public static int LessonsAWeek { get; } = DemoNames.Subjects.Sum(s => s.PerWeek);

    /// <summary>The weekdays with lessons: from the term's start, over its weeks, but the half-term week.</summary>
    public int TeachingDays() => Enumerable.Range(0, Weeks).Where(week => week != HalfTermWeek)
        .SelectMany(week => Enumerable.Range(0, 5).Select(day => FirstMonday.AddDays((week * 7) + day)))
        .Count(date => date >= TermStart);

    /// <summary>
    /// Loads the records with the database's triggers off and builds the rollups once at the end: many
    /// times faster for tens of millions of records, and needs a superuser (session_replication_role).
    /// </summary>
    public bool RollupsAfterLoad { get; init; }

    /// <summary>Field name to message for every value out of range; empty when the options are usable.</summary>
    public IReadOnlyDictionary<string, string> Validate()
    {
        var errors = new Dictionary<string, string>();
        if (Schools is < 1 or > 1000)
        {
            errors["schools"] = "--schools must be between 1 and 1000.";
        }
        if (StudentsPerSchool is < 10 or > 20000)
        {
            errors["students-per-school"] = "--students-per-school must be between 10 and 20000.";
        }
        if (Weeks is < 1 or > 52)
        {
            errors["weeks"] = "--weeks must be between 1 and 52.";
        }
        return errors;
    }
}

internal sealed record DemoDataResult(bool Skipped, int Schools, long Users, long Courses, long Lessons, long AttendanceRecords);
