-- Concurrent attendance writes lock rollup rows in one order, the key order, so they queue behind
-- each other instead of deadlocking (the hash aggregate alone emits groups in no fixed order).
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
$$;
