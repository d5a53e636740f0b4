-- The rollup triggers, the summary versions and the rollup rebuild in a form Citus can run (docs/scale-out.md).
-- Distributed by school_id, a trigger fires on the worker that holds the shard written, for the rows of
-- that shard (of one or several schools), and may read and write only that worker's shards. Citus cannot
-- plan a statement that joins a transition table with a distributed table, even one filtered to one school,
-- nor lock rows in a statement it cannot route to one shard. So each trigger reads its transition tables
-- into arrays first, in statements that read nothing else, and then, school by school in key order, reads
-- and locks distributed tables only under school_id = that school, which Citus routes to the local shard.
-- On a single PostgreSQL the same statements do the same work: one school per API write.

-- The sequence was called by name in summary_versions_bump, which runs on the workers, where Citus makes
-- a sequence only when a distributed table uses it as a column default. As that default, each worker
-- draws from its own range of it, so a version is still never repeated.
alter table summary_versions alter column version set default nextval('summary_version');

create or replace function summary_versions_bump(changed text[]) returns void
language plpgsql as $$
declare
    school text;
begin
    -- In key order, like the rollups, so writers of several schools cannot deadlock on these rows.
    for school in select distinct c from unnest(changed) c where c is not null order by 1 loop
        insert into summary_versions as v (school_id) values (school)
        on conflict (school_id) do update set version = excluded.version;
    end loop;
end $$;

-- Citus cannot plan a statement on a distributed table inside an SQL function when it takes the function's
-- parameters ("could not create distributed plan"); in PL/pgSQL it can. The same statements, in key order
-- as before; each call brings the deltas of one school.
create or replace function attendance_rollup_add(deltas attendance_delta[]) returns void
language plpgsql as $$
begin
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
end $$;

create or replace function attendance_rollup_apply(deltas attendance_delta[]) returns void
language plpgsql as $$
begin
    perform attendance_rollup_add(deltas);
    perform summary_versions_bump(array(select d.school_id from unnest(deltas) d));
end $$;

-- The rollup deltas of one school's marks (lesson, status, +1 or -1 each): locks the school (for share: a
-- time-zone change waits for this write, or this write for it, and then reads the new zone), then the
-- lessons in key order (a concurrent move either commits first and is seen, or waits for this write and
-- carries it along), and only then reads their day, course and teacher in a fresh statement.
create function attendance_rollup_school(school text, lesson_ids bigint[], statuses text[], signs integer[]) returns void
language plpgsql as $$
declare
    zone text;
    deltas attendance_delta[];
begin
    select s.time_zone into zone from schools s where s.school_id = school for share;
    perform from lessons l where l.school_id = school and l.lesson_id = any(lesson_ids) order by l.lesson_id for share;
    select array_agg(row(school, (l.starts_at at time zone zone)::date, l.course_id, r.status, r.sign, l.teacher_id)::attendance_delta)
    into deltas
    from unnest(lesson_ids, statuses, signs) r (lesson_id, status, sign)
    join lessons l on l.school_id = school and l.lesson_id = r.lesson_id;
    if deltas is not null then
        perform attendance_rollup_apply(deltas);
    end if;
end $$;

create or replace function attendance_rollup_on_insert() returns trigger
language plpgsql as $$
declare
    school text;
    lesson_ids bigint[];
    statuses text[];
begin
    -- The INSERT trigger of an upsert whose rows all existed (a register sent again, corrected) sees none.
    for school, lesson_ids, statuses in
        select r.school_id, array_agg(r.lesson_id), array_agg(r.status) from new_rows r group by r.school_id order by r.school_id
    loop
        perform attendance_rollup_school(school, lesson_ids, statuses, array_fill(1, array[cardinality(lesson_ids)]));
    end loop;
    return null;
end $$;

create or replace function attendance_rollup_on_delete() returns trigger
language plpgsql as $$
declare
    school text;
    lesson_ids bigint[];
    statuses text[];
begin
    for school, lesson_ids, statuses in
        select r.school_id, array_agg(r.lesson_id), array_agg(r.status) from old_rows r group by r.school_id order by r.school_id
    loop
        perform attendance_rollup_school(school, lesson_ids, statuses, array_fill(-1, array[cardinality(lesson_ids)]));
    end loop;
    return null;
end $$;

-- INSERT ... ON CONFLICT DO UPDATE fires the statement-level UPDATE trigger even when every row was new:
-- its transition tables are empty, and the loop ends at once.
create or replace function attendance_rollup_on_update() returns trigger
language plpgsql as $$
declare
    school text;
    lesson_ids bigint[];
    statuses text[];
    signs integer[];
begin
    for school, lesson_ids, statuses, signs in
        select r.school_id, array_agg(r.lesson_id), array_agg(r.status), array_agg(r.sign)
        from (select o.school_id, o.lesson_id, o.status, -1 as sign from old_rows o
              union all
              select n.school_id, n.lesson_id, n.status, 1 from new_rows n) r
        group by r.school_id order by r.school_id
    loop
        perform attendance_rollup_school(school, lesson_ids, statuses, signs);
    end loop;
    return null;
end $$;

-- A lesson moved to another day, course or teacher carries its attendance along in every rollup; other
-- changes (a room, a version) read nothing and lock nothing.
create or replace function attendance_rollup_on_lesson_move() returns trigger
language plpgsql as $$
declare
    school text;
    lesson_ids bigint[];
    course_ids bigint[];
    teacher_ids bigint[];
    starts timestamptz[];
    signs integer[];
    zone text;
    deltas attendance_delta[];
begin
    for school, lesson_ids, course_ids, teacher_ids, starts, signs in
        select m.school_id, array_agg(m.lesson_id), array_agg(m.course_id), array_agg(m.teacher_id), array_agg(m.starts_at), array_agg(m.sign)
        from (select o.school_id, o.lesson_id, o.course_id, o.teacher_id, o.starts_at, -1 as sign
              from old_lessons o join new_lessons n on n.school_id = o.school_id and n.lesson_id = o.lesson_id
              where (o.course_id, o.teacher_id, o.starts_at) is distinct from (n.course_id, n.teacher_id, n.starts_at)
              union all
              select n.school_id, n.lesson_id, n.course_id, n.teacher_id, n.starts_at, 1
              from old_lessons o join new_lessons n on n.school_id = o.school_id and n.lesson_id = o.lesson_id
              where (o.course_id, o.teacher_id, o.starts_at) is distinct from (n.course_id, n.teacher_id, n.starts_at)) m
        group by m.school_id order by m.school_id
    loop
        select s.time_zone into zone from schools s where s.school_id = school for share;
        select array_agg(row(school, (m.starts_at at time zone zone)::date, m.course_id, a.status, m.sign, m.teacher_id)::attendance_delta)
        into deltas
        from unnest(lesson_ids, course_ids, teacher_ids, starts, signs) m (lesson_id, course_id, teacher_id, starts_at, sign)
        join attendance_records a on a.school_id = school and a.lesson_id = m.lesson_id;
        if deltas is not null then
            perform attendance_rollup_apply(deltas);
        end if;
    end loop;
    return null;
end $$;

-- School by school, each statement under school_id = that school: Citus plans every one for the shard of
-- the school (an SQL function's parameters it could not plan). Used by a time-zone change and by bulk loads.
create or replace function attendance_rollups_rebuild(changed text[]) returns void
language plpgsql as $$
declare
    school text;
begin
    for school in select distinct c from unnest(changed) c where c is not null order by 1 loop
        delete from attendance_daily d where d.school_id = school;
        delete from attendance_school_daily d where d.school_id = school;
        delete from attendance_teacher_daily d where d.school_id = school;
        insert into attendance_teacher_daily (school_id, teacher_id, day, course_id, present, absent, late, excused)
        select a.school_id, l.teacher_id, (l.starts_at at time zone s.time_zone)::date, l.course_id,
               count(*) filter (where a.status = 'present'), count(*) filter (where a.status = 'absent'),
               count(*) filter (where a.status = 'late'), count(*) filter (where a.status = 'excused')
        from attendance_records a
        join lessons l on l.school_id = a.school_id and l.lesson_id = a.lesson_id
        join schools s on s.school_id = a.school_id
        where a.school_id = school
        group by 1, 2, 3, 4
        order by 1, 2, 3, 4;
        insert into attendance_daily (school_id, day, course_id, present, absent, late, excused)
        select t.school_id, t.day, t.course_id, sum(t.present), sum(t.absent), sum(t.late), sum(t.excused)
        from attendance_teacher_daily t
        where t.school_id = school
        group by 1, 2, 3
        order by 1, 2, 3;
        insert into attendance_school_daily (school_id, day, present, absent, late, excused)
        select d.school_id, d.day, sum(d.present), sum(d.absent), sum(d.late), sum(d.excused)
        from attendance_daily d
        where d.school_id = school
        group by 1, 2
        order by 1, 2;
    end loop;
end $$;
