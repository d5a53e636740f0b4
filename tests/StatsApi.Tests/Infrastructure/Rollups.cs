using Dapper;
using Npgsql;

namespace StatsApi.Tests.Infrastructure;

public static class Rollups
{
    /// <summary>
    /// Rows in which either rollup disagrees with counts taken from the attendance records; rows left at
    /// zero by deletes and moves count as absent.
    /// </summary>
    public static Task<long> MismatchesAsync(NpgsqlConnection connection) =>
        connection.ExecuteScalarAsync<long>("""
            with counted as (
                select a.school_id, (l.starts_at at time zone s.time_zone)::date as day, l.course_id, l.teacher_id, a.status
                from attendance_records a
                join lessons l on l.school_id = a.school_id and l.lesson_id = a.lesson_id
                join schools s on s.school_id = a.school_id),
            by_course as (
                select school_id, day, course_id, count(*) filter (where status = 'present') as present,
                       count(*) filter (where status = 'absent') as absent, count(*) filter (where status = 'late') as late,
                       count(*) filter (where status = 'excused') as excused
                from counted group by 1, 2, 3),
            by_teacher as (
                select school_id, teacher_id, day, course_id, count(*) filter (where status = 'present') as present,
                       count(*) filter (where status = 'absent') as absent, count(*) filter (where status = 'late') as late,
                       count(*) filter (where status = 'excused') as excused
                from counted group by 1, 2, 3, 4),
            by_school as (
                select school_id, day, sum(present) as present, sum(absent) as absent, sum(late) as late, sum(excused) as excused
                from by_course group by 1, 2)
            select (select count(*) from (
                        (select school_id, day, course_id, present, absent, late, excused from by_course
                         except select school_id, day, course_id, present, absent, late, excused from attendance_daily where present + absent + late + excused > 0)
                        union all
                        (select school_id, day, course_id, present, absent, late, excused from attendance_daily where present + absent + late + excused > 0
                         except select school_id, day, course_id, present, absent, late, excused from by_course)) x)
                 + (select count(*) from (
                        (select school_id, day, present, absent, late, excused from by_school
                         except select school_id, day, present, absent, late, excused from attendance_school_daily where present + absent + late + excused > 0)
                        union all
                        (select school_id, day, present, absent, late, excused from attendance_school_daily where present + absent + late + excused > 0
                         except select school_id, day, present, absent, late, excused from by_school)) y)
                 + (select count(*) from (
                        (select * from by_teacher
                         except select school_id, teacher_id, day, course_id, present, absent, late, excused from attendance_teacher_daily where present + absent + late + excused > 0)
                        union all
                        (select school_id, teacher_id, day, course_id, present, absent, late, excused from attendance_teacher_daily where present + absent + late + excused > 0
                         except select * from by_teacher)) z)
            """);
}
