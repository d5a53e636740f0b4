-- The rollups' concurrency and time zones, and a third rollup by teacher.

-- Attendance by teacher: the summary's teacher_id filter reads this rollup, so its cost follows the
-- days asked for, like the others. The teacher is the lesson's (who taught it), by course.
create table attendance_teacher_daily (
    school_id   text not null references schools,
    teacher_id  bigint not null,
    day         date not null,
    course_id   bigint not null,
    present     integer not null default 0,
    absent      integer not null default 0,
    late        integer not null default 0,
    excused     integer not null default 0,
    primary key (school_id, teacher_id, day, course_id)
);

insert into attendance_teacher_daily (school_id, teacher_id, day, course_id, present, absent, late, excused)
select a.school_id, l.teacher_id, (l.starts_at at time zone s.time_zone)::date, l.course_id,
       count(*) filter (where a.status = 'present'), count(*) filter (where a.status = 'absent'),
       count(*) filter (where a.status = 'late'), count(*) filter (where a.status = 'excused')
from attendance_records a
join lessons l on l.school_id = a.school_id and l.lesson_id = a.lesson_id
join schools s on s.school_id = a.school_id
group by 1, 2, 3, 4;

alter type attendance_delta add attribute teacher_id bigint;

-- Each upsert inserts in key order, so concurrent writers lock rollup rows in one order and cannot deadlock on them.
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
    order by d.school_id, d.day, d.course_id
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
    order by d.school_id, d.day
    on conflict (school_id, day) do update
    set present = a.present + excluded.present,
        absent  = a.absent  + excluded.absent,
        late    = a.late    + excluded.late,
        excused = a.excused + excluded.excused;

    insert into attendance_teacher_daily as a (school_id, teacher_id, day, course_id, present, absent, late, excused)
    select d.school_id, d.teacher_id, d.day, d.course_id,
           coalesce(sum(d.sign) filter (where d.status = 'present'), 0),
           coalesce(sum(d.sign) filter (where d.status = 'absent'), 0),
           coalesce(sum(d.sign) filter (where d.status = 'late'), 0),
           coalesce(sum(d.sign) filter (where d.status = 'excused'), 0)
    from unnest(deltas) d
    group by d.school_id, d.teacher_id, d.day, d.course_id
    order by d.school_id, d.teacher_id, d.day, d.course_id
    on conflict (school_id, teacher_id, day, course_id) do update
    set present = a.present + excluded.present,
        absent  = a.absent  + excluded.absent,
        late    = a.late    + excluded.late,
        excused = a.excused + excluded.excused;
$$;

-- Every rollup writer locks the schools it writes for (for share, in key order) before it locks lessons
-- and before it reads their time zones in a fresh statement. A time-zone change holds the school row
-- from its update on: it waits for the writes already under way, and the writes that come after it
-- wait for its commit and then see the new zone (or, under repeatable read, fail to serialise and retry).
create or replace function attendance_rollup_on_insert() returns trigger
language plpgsql as $$
begin
    perform from schools s where s.school_id in (select school_id from new_rows) order by s.school_id for share;
    perform from lessons l where (l.school_id, l.lesson_id) in (select school_id, lesson_id from new_rows)
        order by l.school_id, l.lesson_id for share;
    perform attendance_rollup_apply(array(
        select row(r.school_id, (l.starts_at at time zone s.time_zone)::date, l.course_id, r.status, 1, l.teacher_id)::attendance_delta
        from new_rows r
        join lessons l on l.school_id = r.school_id and l.lesson_id = r.lesson_id
        join schools s on s.school_id = r.school_id));
    return null;
end $$;

create or replace function attendance_rollup_on_delete() returns trigger
language plpgsql as $$
begin
    perform from schools s where s.school_id in (select school_id from old_rows) order by s.school_id for share;
    perform from lessons l where (l.school_id, l.lesson_id) in (select school_id, lesson_id from old_rows)
        order by l.school_id, l.lesson_id for share;
    perform attendance_rollup_apply(array(
        select row(r.school_id, (l.starts_at at time zone s.time_zone)::date, l.course_id, r.status, -1, l.teacher_id)::attendance_delta
        from old_rows r
        join lessons l on l.school_id = r.school_id and l.lesson_id = r.lesson_id
        join schools s on s.school_id = r.school_id));
    return null;
end $$;

create or replace function attendance_rollup_on_update() returns trigger
language plpgsql as $$
begin
    perform from schools s
        where s.school_id in (select school_id from old_rows union select school_id from new_rows)
        order by s.school_id for share;
    perform from lessons l
        where (l.school_id, l.lesson_id) in (select school_id, lesson_id from old_rows union select school_id, lesson_id from new_rows)
        order by l.school_id, l.lesson_id for share;
    perform attendance_rollup_apply(array(
        select row(r.school_id, (l.starts_at at time zone s.time_zone)::date, l.course_id, r.status, r.sign, l.teacher_id)::attendance_delta
        from (select school_id, lesson_id, status, -1 as sign from old_rows
              union all
              select school_id, lesson_id, status, 1 from new_rows) r
        join lessons l on l.school_id = r.school_id and l.lesson_id = r.lesson_id
        join schools s on s.school_id = r.school_id));
    return null;
end $$;

-- A lesson moved to another day, course or teacher carries its attendance along in every rollup;
-- other changes (a room, a version) leave the rollups alone.
create or replace function attendance_rollup_on_lesson_move() returns trigger
language plpgsql as $$
begin
    perform from schools s
        where s.school_id in (select school_id from old_lessons union select school_id from new_lessons)
        order by s.school_id for share;
    perform attendance_rollup_apply(array(
        select row(m.school_id, (m.starts_at at time zone s.time_zone)::date, m.course_id, a.status, m.sign, m.teacher_id)::attendance_delta
        from (select o.school_id, o.lesson_id, o.course_id, o.teacher_id, o.starts_at, -1 as sign
              from old_lessons o join new_lessons n on n.school_id = o.school_id and n.lesson_id = o.lesson_id
              where (o.course_id, o.teacher_id, o.starts_at) is distinct from (n.course_id, n.teacher_id, n.starts_at)
              union all
              select n.school_id, n.lesson_id, n.course_id, n.teacher_id, n.starts_at, 1
              from old_lessons o join new_lessons n on n.school_id = o.school_id and n.lesson_id = o.lesson_id
              where (o.course_id, o.teacher_id, o.starts_at) is distinct from (n.course_id, n.teacher_id, n.starts_at)) m
        join attendance_records a on a.school_id = m.school_id and a.lesson_id = m.lesson_id
        join schools s on s.school_id = m.school_id));
    return null;
end $$;

-- A school's time zone decides the day of each of its lessons in every rollup. A zone PostgreSQL does
-- not know would make every attendance write of the school fail, so it is refused when written.
create function schools_check_time_zone() returns trigger
language plpgsql as $$
begin
    if not exists (select from pg_timezone_names where name = new.time_zone) then
        raise exception 'time_zone "%" is not a time zone name PostgreSQL knows, such as Europe/London', new.time_zone
            using errcode = 'check_violation', table = 'schools', column = 'time_zone';
    end if;
    return new;
end $$;

create trigger schools_time_zone_check before insert or update of time_zone on schools
    for each row execute function schools_check_time_zone();
-- A new time zone moves lessons across day boundaries: the school's rollup rows are rebuilt from its
-- attendance records in the same transaction. Each statement reads afresh, so this needs read
-- committed; under a snapshot taken before the school row was locked it would miss committed writes.
create function schools_time_zone_rebuild() returns trigger
language plpgsql as $$
declare
    changed text[];
begin
    changed := array(
        select n.school_id from new_schools n join old_schools o on o.school_id = n.school_id
        where n.time_zone is distinct from o.time_zone
        order by n.school_id);
    if cardinality(changed) = 0 then
        return null;
    end if;
    if current_setting('transaction_isolation') <> 'read committed' then
        raise exception 'a school''s time_zone can only be changed in a read committed transaction'
            using errcode = 'feature_not_supported';
    end if;
    delete from attendance_daily where school_id = any(changed);
    delete from attendance_school_daily where school_id = any(changed);
    delete from attendance_teacher_daily where school_id = any(changed);
    insert into attendance_teacher_daily (school_id, teacher_id, day, course_id, present, absent, late, excused)
    select a.school_id, l.teacher_id, (l.starts_at at time zone s.time_zone)::date, l.course_id,
           count(*) filter (where a.status = 'present'), count(*) filter (where a.status = 'absent'),
           count(*) filter (where a.status = 'late'), count(*) filter (where a.status = 'excused')
    from attendance_records a
    join lessons l on l.school_id = a.school_id and l.lesson_id = a.lesson_id
    join schools s on s.school_id = a.school_id
    where a.school_id = any(changed)
    group by 1, 2, 3, 4
    order by 1, 2, 3, 4;
    insert into attendance_daily (school_id, day, course_id, present, absent, late, excused)
    select school_id, day, course_id, sum(present), sum(absent), sum(late), sum(excused)
    from attendance_teacher_daily
    where school_id = any(changed)
    group by 1, 2, 3
    order by 1, 2, 3;
    insert into attendance_school_daily (school_id, day, present, absent, late, excused)
    select school_id, day, sum(present), sum(absent), sum(late), sum(excused)
    from attendance_daily
    where school_id = any(changed)
    group by 1, 2
    order by 1, 2;
    return null;
end $$;

create trigger schools_time_zone_rebuild after update on schools
    referencing old table as old_schools new table as new_schools
    for each statement execute function schools_time_zone_rebuild();
