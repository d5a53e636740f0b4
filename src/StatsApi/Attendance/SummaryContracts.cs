using StatsApi.Http;

namespace StatsApi.Attendance;

/// <summary>Attendance over a date range of one school, optionally one course, optionally grouped.</summary>
[Example("""
    {"school_id":"oakwood-primary","from":"2026-09-01","to":"2026-09-30","course_id":null,"group_by":"week",
     "totals":{"records":35200,"present":31269,"absent":1285,"late":1746,"excused":900,"attendance_rate":0.9379},
     "groups":[
      {"key":"2026-W36","from":"2026-09-01","to":"2026-09-06","course_id":null,"course_code":null,"course_name":null,"counts":{"records":6340,"present":5731,"absent":182,"late":283,"excused":144,"attendance_rate":0.9486}},
      {"key":"2026-W37","from":"2026-09-07","to":"2026-09-13","course_id":null,"course_code":null,"course_name":null,"counts":{"records":8000,"present":7178,"absent":243,"late":423,"excused":156,"attendance_rate":0.9501}},
      {"key":"2026-W38","from":"2026-09-14","to":"2026-09-20","course_id":null,"course_code":null,"course_name":null,"counts":{"records":8000,"present":7127,"absent":274,"late":414,"excused":185,"attendance_rate":0.9426}},
      {"key":"2026-W39","from":"2026-09-21","to":"2026-09-27","course_id":null,"course_code":null,"course_name":null,"counts":{"records":8000,"present":6830,"absent":457,"late":407,"excused":306,"attendance_rate":0.9046}},
      {"key":"2026-W40","from":"2026-09-28","to":"2026-09-30","course_id":null,"course_code":null,"course_name":null,"counts":{"records":4860,"present":4403,"absent":129,"late":219,"excused":109,"attendance_rate":0.951}}],
     "teacher_id":null,"student_id":null}
    """)]
internal sealed record AttendanceSummary(
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
[Example("""{"records":8000,"present":7178,"absent":243,"late":423,"excused":156,"attendance_rate":0.9501}""")]
internal sealed record AttendanceCounts(long Records, long Present, long Absent, long Late, long Excused, double? AttendanceRate)
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
[Example("""{"key":"2026-W37","from":"2026-09-07","to":"2026-09-13","course_id":null,"course_code":null,"course_name":null,"counts":{"records":8000,"present":7178,"absent":243,"late":423,"excused":156,"attendance_rate":0.9501}}""")]
internal sealed record AttendanceGroup(
    string Key,
    DateOnly From,
    DateOnly To,
    long? CourseId,
    string? CourseCode,
    string? CourseName,
    AttendanceCounts Counts);
