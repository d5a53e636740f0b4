-- An attendance write reads its lesson's day and course under a share lock, so it cannot interleave
-- with a concurrent move of that lesson (which would otherwise leave the rollups on the old day).
-- The move waits for the write, or the write for the move, and each then sees the other's result.
create or replace function attendance_rollup_on_insert() returns trigger
language plpgsql as $$
begin
    perform attendance_rollup_apply(array(
        select row(r.school_id, (l.starts_at at time zone s.time_zone)::date, l.course_id, r.status, 1)::attendance_delta
        from new_rows r
        join lessons l on l.school_id = r.school_id and l.lesson_id = r.lesson_id
        join schools s on s.school_id = r.school_id
        for share of l));
    return null;
end $$;

create or replace function attendance_rollup_on_delete() returns trigger
language plpgsql as $$
begin
    perform attendance_rollup_apply(array(
        select row(r.school_id, (l.starts_at at time zone s.time_zone)::date, l.course_id, r.status, -1)::attendance_delta
        from old_rows r
        join lessons l on l.school_id = r.school_id and l.lesson_id = r.lesson_id
        join schools s on s.school_id = r.school_id
        for share of l));
    return null;
end $$;

create or replace function attendance_rollup_on_update() returns trigger
language plpgsql as $$
begin
    perform attendance_rollup_apply(array(
        select row(r.school_id, (l.starts_at at time zone s.time_zone)::date, l.course_id, r.status, r.sign)::attendance_delta
        from (select school_id, lesson_id, status, -1 as sign from old_rows
              union all
              select school_id, lesson_id, status, 1 from new_rows) r
        join lessons l on l.school_id = r.school_id and l.lesson_id = r.lesson_id
        join schools s on s.school_id = r.school_id
        for share of l));
    return null;
end $$;
