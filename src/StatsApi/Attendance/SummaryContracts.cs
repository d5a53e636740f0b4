namespace StatsApi.Attendance;

/// <summary>Attendance over a date range of one school, optionally one course, optionally grouped.</summary>
public sealed record AttendanceSummary(
    string SchoolId,
    DateOnly From,
    DateOnly To,
    long? CourseId,
    string? GroupBy,
    AttendanceCounts Totals,
    IReadOnlyList<AttendanceGroup>? Groups)
{
    /// <summary>The teacher filter, when given: lessons this teacher taught.</summary>
    public long? TeacherId { get; init; }

    /// <summary>The student filter, when given: this student's marks only.</summary>
    public long? StudentId { get; init; }
}

/// <summary>
/// Marks recorded by status. attendance_rate is the share of marks in which the student attended
/// (present or late), from 0 to 1; null when nothing was recorded.
/// </summary>
public sealed record AttendanceCounts(long Records, long Present, long Absent, long Late, long Excused, double? AttendanceRate)
{
    public static AttendanceCounts From(long present, long absent, long late, long excused)
    {
        var records = present + absent + late + excused;
        double? rate = records == 0 ? null : Math.Round((double)(present + late) / records, 4);
        return new AttendanceCounts(records, present, absent, late, excused, rate);
    }
}

/// <summary>
/// One group: a day, an ISO week, a month or a course. Only groups with recorded attendance appear.
/// For time groups, from and to are the part of the group inside the requested range.
/// </summary>
public sealed record AttendanceGroup(
    string Key,
    DateOnly From,
    DateOnly To,
    long? CourseId,
    string? CourseCode,
    string? CourseName,
    AttendanceCounts Counts);
