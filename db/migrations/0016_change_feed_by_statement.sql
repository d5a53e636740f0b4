-- The change feed's capture (0015), once per statement instead of once per row. A row trigger on
-- attendance_records ran, for each mark, a look-up of its lesson and two upserts into change_log (the mark
-- and its lesson, the lesson once per mark): a binary COPY fell from 30-55k to about 10k marks/s. Each
-- trigger below fires once per statement and writes that statement's change_log rows in one INSERT ...
-- SELECT per school, each object once (a register's lesson once, not once per mark), its lessons joined once.
--
-- The rows are those 0015 wrote: the same object_type, object_key and ref, one per object and transaction,
-- the last write of the transaction setting ref. The transition tables hold exactly the rows the row
-- triggers fired for: an upsert's inserted rows in the INSERT trigger's, its updated rows in the UPDATE
-- trigger's, and an ON CONFLICT DO UPDATE whose WHERE left a row alone in neither. A cascade (a lesson
-- deleted with its marks) runs as a statement of its own, whose triggers fire before the lesson's, as the
-- row triggers did: its marks find the lesson gone, and the lesson's own row then sets its ref.
--
-- Under Citus (docs/scale-out.md, decision 0015), a statement on a distributed table runs as one statement
-- per shard, on the worker that holds the shard, and each shard's statement-level trigger fires there with
-- transition tables that hold only that shard's rows: rows of the schools stored in it, whose other tables
-- (lessons, change_log) are colocated on the same worker. The triggers stay right on that condition: every
-- table is distributed by school_id and colocated, and each statement that reads or writes one reads it
-- only under school_id = one school of the firing rows, never beside a transition table (which Citus cannot
-- plan). So the transition tables are read alone into arrays, and change_log_write then writes school by
-- school in key order; each change_log row takes the school_id of the row it records.

-- One change_log row to write: the school of the row that caused it, and what the feed will read of it.
create type change_log_entry as (school_id text, object_type text, object_key text, ref jsonb);

create function change_log_write(entries change_log_entry[]) returns void
language plpgsql as $$
declare
    school text;
    of_school change_log_entry[];
begin
    -- Grouped first: a statement of a thousand schools' rows reads its entries once, not once a school.
    for school, of_school in select e.school_id, array_agg(e) from unnest(entries) e group by e.school_id order by e.school_id loop
        -- DISTINCT ON: ON CONFLICT DO UPDATE may touch a row once per statement, and a register names
        -- its lesson once per mark (each time with the same ref).
        insert into change_log as c (school_id, txid, object_type, object_key, ref)
        select distinct on (e.object_type, e.object_key) school, pg_current_xact_id(), e.object_type, e.object_key, e.ref
        from unnest(of_school) e
        order by e.object_type, e.object_key
        on conflict (school_id, object_type, object_key, txid) do update set ref = excluded.ref;
    end loop;
end $$;

-- PostgreSQL 15 refuses transition tables on a trigger of more than one event ("transition tables cannot
-- be specified for triggers with more than one event"), so each table has three triggers on one function,
-- which reads the transition table its event has: the old rows of a delete, the new rows otherwise.
--
-- Lessons, enrolments, people and courses: one function, told by its trigger's arguments the object type,
-- the columns of the object's key (joined by ':') and those of its ref, as 0015 wrote them.
create function change_log_on_change() returns trigger
language plpgsql as $$
declare
    changed jsonb[];
    kind text := tg_argv[0];
    key_columns text[] := string_to_array(tg_argv[1], ',');
    ref_columns text[] := string_to_array(tg_argv[2], ',');
begin
    if tg_op = 'DELETE' then
        changed := array(select to_jsonb(o) from old_rows o);
    else
        changed := array(select to_jsonb(n) from new_rows n);
    end if;
    perform change_log_write(array(
        select row(r->>'school_id', kind,
                   (select string_agg(r->>k.name, ':' order by k.position) from unnest(key_columns) with ordinality k (name, position)),
                   (select jsonb_object_agg(c.name, r->c.name) from unnest(ref_columns) c (name)))::change_log_entry
        from unnest(changed) r));
    return null;
end $$;

-- A mark changes its lesson's representation too (its count of marks): the mark's row and its lesson's,
-- both carrying the lesson's course and teacher as they stand (null once the lesson is gone).
create or replace function change_log_on_mark() returns trigger
language plpgsql as $$
declare
    schools text[];
    lesson_ids bigint[];
    student_ids bigint[];
    school text;
    lessons_of bigint[];
    students_of bigint[];
begin
    -- Only the keys: a COPY of a million marks should not copy a million whole rows into an array.
    if tg_op = 'DELETE' then
        select array_agg(o.school_id), array_agg(o.lesson_id), array_agg(o.student_id) into schools, lesson_ids, student_ids from old_rows o;
    else
        select array_agg(n.school_id), array_agg(n.lesson_id), array_agg(n.student_id) into schools, lesson_ids, student_ids from new_rows n;
    end if;
    for school, lessons_of, students_of in
        select k.school_id, array_agg(k.lesson_id), array_agg(k.student_id)
        from unnest(schools, lesson_ids, student_ids) k (school_id, lesson_id, student_id)
        group by k.school_id order by k.school_id
    loop
        perform change_log_write(array(
            select e.entry
            from unnest(lessons_of, students_of) m (lesson_id, student_id)
            left join lessons l on l.school_id = school and l.lesson_id = m.lesson_id
            cross join lateral (values
                (row(school, 'mark', m.lesson_id::text || ':' || m.student_id::text,
                     jsonb_build_object('lesson_id', m.lesson_id, 'student_id', m.student_id, 'course_id', l.course_id, 'teacher_id', l.teacher_id))::change_log_entry),
                (row(school, 'lesson', m.lesson_id::text,
                     jsonb_build_object('lesson_id', m.lesson_id, 'course_id', l.course_id, 'teacher_id', l.teacher_id))::change_log_entry)) e (entry)));
    end loop;
    return null;
end $$;

drop trigger change_log_lessons on lessons;
drop trigger change_log_marks on attendance_records;
drop trigger change_log_enrolments on enrolments;
drop trigger change_log_users on users;
drop trigger change_log_courses on courses;
drop function change_log_note_mark(text, bigint, bigint);
drop function change_log_note(text, text, text, jsonb);
drop function change_log_on_lesson();
drop function change_log_on_enrolment();
drop function change_log_on_user();
drop function change_log_on_course();

create trigger change_log_lessons_insert after insert on lessons
    referencing new table as new_rows for each statement execute function change_log_on_change('lesson', 'lesson_id', 'lesson_id,course_id,teacher_id');
create trigger change_log_lessons_update after update on lessons
    referencing new table as new_rows for each statement execute function change_log_on_change('lesson', 'lesson_id', 'lesson_id,course_id,teacher_id');
create trigger change_log_lessons_delete after delete on lessons
    referencing old table as old_rows for each statement execute function change_log_on_change('lesson', 'lesson_id', 'lesson_id,course_id,teacher_id');

create trigger change_log_marks_insert after insert on attendance_records
    referencing new table as new_rows for each statement execute function change_log_on_mark();
create trigger change_log_marks_update after update on attendance_records
    referencing new table as new_rows for each statement execute function change_log_on_mark();
create trigger change_log_marks_delete after delete on attendance_records
    referencing old table as old_rows for each statement execute function change_log_on_mark();

create trigger change_log_enrolments_insert after insert on enrolments
    referencing new table as new_rows for each statement execute function change_log_on_change('enrolment', 'course_id,student_id', 'course_id,student_id');
create trigger change_log_enrolments_update after update on enrolments
    referencing new table as new_rows for each statement execute function change_log_on_change('enrolment', 'course_id,student_id', 'course_id,student_id');
create trigger change_log_enrolments_delete after delete on enrolments
    referencing old table as old_rows for each statement execute function change_log_on_change('enrolment', 'course_id,student_id', 'course_id,student_id');

create trigger change_log_users_insert after insert on users
    referencing new table as new_rows for each statement execute function change_log_on_change('user', 'user_id', 'user_id,role');
create trigger change_log_users_update after update on users
    referencing new table as new_rows for each statement execute function change_log_on_change('user', 'user_id', 'user_id,role');
create trigger change_log_users_delete after delete on users
    referencing old table as old_rows for each statement execute function change_log_on_change('user', 'user_id', 'user_id,role');

create trigger change_log_courses_insert after insert on courses
    referencing new table as new_rows for each statement execute function change_log_on_change('course', 'course_id', 'course_id,teacher_id');
create trigger change_log_courses_update after update on courses
    referencing new table as new_rows for each statement execute function change_log_on_change('course', 'course_id', 'course_id,teacher_id');
create trigger change_log_courses_delete after delete on courses
    referencing old table as old_rows for each statement execute function change_log_on_change('course', 'course_id', 'course_id,teacher_id');
