-- A second rollup per school and day, for the summaries that neither filter nor group by course
-- (the common case): they then read one row a day instead of one a day and course.
create table attendance_school_daily (
    school_id  text not null references schools,
    day        date not null,
    present    integer not null default 0,
    absent     integer not null default 0,
    late       integer not null default 0,
    excused    integer not null default 0,
    primary key (school_id, day)
);

-- Attendance written while this migration runs would reach attendance_daily but miss the backfill.
lock table attendance_records in share mode;

insert into attendance_school_daily (school_id, day, present, absent, late, excused)
select school_id, day, sum(present), sum(absent), sum(late), sum(excused)
from attendance_daily
group by school_id, day;

-- Both rollups move together, in the transaction of the attendance or lesson write that changes them.
create or replace function attendance_rollup_apply(deltas attendance_delta[]) returns void
language sql as $$
    insert into attendance_daily as a (school_id, day, course_id, present, absent, late, excused)
    select d.school_id, d.day, d.course_id,
           coalesce(sum(d.sign) filter (where d.status = 'present'), 0),
           coalesce(sum(d.sign) filter (where d.status = 'absent'), 0),
           coalesce(sum(d.sign) filter (where d.status = 'late'), 0),
           coalesce(sum(d.sign) filter (where d.status = 'excused'), 0)
    from unnest(deltas) d
    group by d.school_id, d.day, d.course_id
    on conflict (school_id, day, course_id) do update
    set present = a.present + excluded.present,
        absent  = a.absent  + excluded.absent,
        late    = a.late    + excluded.late,
        excused = a.excused + excluded.excused;

    insert into attendance_school_daily as a (school_id, day, present, absent, late, excused)
    select d.school_id, d.day,
           coalesce(sum(d.sign) filter (where d.status = 'present'), 0),
           coalesce(sum(d.sign) filter (where d.status = 'absent'), 0),
           coalesce(sum(d.sign) filter (where d.status = 'late'), 0),
           coalesce(sum(d.sign) filter (where d.status = 'excused'), 0)
    from unnest(deltas) d
    group by d.school_id, d.day
    on conflict (school_id, day) do update
    set present = a.present + excluded.present,
        absent  = a.absent  + excluded.absent,
        late    = a.late    + excluded.late,
        excused = a.excused + excluded.excused;
$$;
