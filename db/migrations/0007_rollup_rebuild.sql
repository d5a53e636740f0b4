-- Rebuilding a school's rollups from its attendance records is one function, used by a time-zone change
-- and by bulk loads that write the records first and the rollups once after (far faster than a
-- trigger call per COPY batch when tens of millions of records are loaded).
create function attendance_rollups_rebuild(changed text[]) returns void
language sql as $$
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
$$;

create or replace function schools_time_zone_rebuild() returns trigger
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
    perform attendance_rollups_rebuild(changed);
    return null;
end $$;
