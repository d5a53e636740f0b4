-- A version of everything a school's attendance summary answers, for its ETag: a poll that names the
-- current version is answered 304 without aggregating anything. Every write that changes a summary
-- bumps it in its own transaction, once per statement and school: marks recorded, corrected or
-- deleted, lessons with marks moved (both through the rollups), courses renamed (their code and name
-- are groups of group_by=course), and time-zone changes (which rebuild the rollups). What the
-- summary's existence checks read (a course, a person's role) is read afresh on every request, 304 or
-- not, and so needs no version; a lesson is deleted only once it has no marks.

-- Drawn from one sequence, so a version is never repeated: not by another school, nor by a school
-- deleted and made again. A school that never had a version reads as 0.
create sequence summary_version;

create table summary_versions (
    school_id  text primary key references schools on delete cascade,
    version    bigint not null
);

insert into summary_versions (school_id, version)
select school_id, nextval('summary_version') from schools order by school_id;

-- In key order, like the rollups, so writers of several schools cannot deadlock on these rows.
create function summary_versions_bump(changed text[]) returns void
language sql as $$
    insert into summary_versions as v (school_id, version)
    select s.school_id, nextval('summary_version')
    from (select distinct school_id from unnest(changed) school_id) s
    order by s.school_id
    on conflict (school_id) do update set version = excluded.version;
$$;

-- Every change of the rollups but a time-zone rebuild goes through attendance_rollup_apply, called by
-- the statement-level triggers of attendance_records and lessons: it keeps its name and now bumps the
-- versions of the schools its deltas touch, after their rollup rows, once per statement.
alter function attendance_rollup_apply(attendance_delta[]) rename to attendance_rollup_add;

create function attendance_rollup_apply(deltas attendance_delta[]) returns void
language sql as $$
    select attendance_rollup_add(deltas);
    select summary_versions_bump(array(select d.school_id from unnest(deltas) d));
$$;

create function summary_versions_on_time_zone() returns trigger
language plpgsql as $$
begin
    perform summary_versions_bump(array(
        select n.school_id from new_schools n join old_schools o on o.school_id = n.school_id
        where n.time_zone is distinct from o.time_zone));
    return null;
end $$;

-- Named to fire after schools_time_zone_rebuild (triggers of one event fire in name order).
create trigger summary_versions_time_zone after update on schools
    referencing old table as old_schools new table as new_schools
    for each statement execute function summary_versions_on_time_zone();

create function summary_versions_on_course_rename() returns trigger
language plpgsql as $$
begin
    perform summary_versions_bump(array(
        select n.school_id from new_courses n join old_courses o on o.school_id = n.school_id and o.course_id = n.course_id
        where (n.code, n.name) is distinct from (o.code, o.name)));
    return null;
end $$;

create trigger summary_versions_course_rename after update on courses
    referencing old table as old_courses new table as new_courses
    for each statement execute function summary_versions_on_course_rename();
