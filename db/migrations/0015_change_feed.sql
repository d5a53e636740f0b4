-- The change feed (decision 0015): every write of a lesson, mark, enrolment, person or course, through
-- whatever door, leaves a row here in its own transaction, marked with that transaction's id (xid8). The
-- feed serves rows in (txid, change_id) order and only below the oldest transaction still running, so a
-- transaction that commits late never lands behind a cursor already handed out.
--
-- A row says "this object changed in this transaction"; the feed answers with the object as it is when read
-- (or a tombstone when it is gone), so one row per object and transaction is enough. ref holds the object's
-- key and its parents' keys as the write left them: what a tombstone carries once the object is gone.

create sequence change_log_id;

create table change_log (
    school_id    text not null references schools,
    txid         xid8 not null,
    -- A column default, as Citus wants of a sequence (0010): each worker draws from its own range.
    change_id    bigint not null default nextval('change_log_id'),
    object_type  text not null check (object_type in ('lesson', 'mark', 'enrolment', 'user', 'course')),
    object_key   text not null,
    ref          jsonb not null,
    changed_at   timestamptz not null default now(),
    primary key (school_id, txid, change_id)
);
-- One row per object and transaction; also how the feed finds an object's latest row.
create unique index change_log_once_per_transaction on change_log (school_id, object_type, object_key, txid);
create index change_log_by_age on change_log (changed_at);

-- Where each school's log was pruned to: a cursor at or before this position has lost changes (410).
create table change_log_pruned (
    school_id  text primary key references schools on delete cascade,
    txid       xid8 not null,
    change_id  bigint not null
);

-- Each statement names the firing row's school: under Citus a trigger runs on the worker of that school's
-- shard and may write only there (docs/scale-out.md).
create function change_log_note(school text, kind text, id text, keys jsonb) returns void
language plpgsql as $$
begin
    insert into change_log as c (school_id, txid, object_type, object_key, ref)
    values (school, pg_current_xact_id(), kind, id, keys)
    on conflict (school_id, object_type, object_key, txid) do update set ref = excluded.ref;
end $$;

create function change_log_on_lesson() returns trigger
language plpgsql as $$
declare
    r lessons;
begin
    r := case when tg_op = 'DELETE' then old else new end;
    perform change_log_note(r.school_id, 'lesson', r.lesson_id::text,
        jsonb_build_object('lesson_id', r.lesson_id, 'course_id', r.course_id, 'teacher_id', r.teacher_id));
    return null;
end $$;

-- A mark changes its lesson's representation too (its count of marks). The lesson is read under the school
-- passed in, which Citus routes to the local shard.
create function change_log_note_mark(school text, lesson bigint, student bigint) returns void
language plpgsql as $$
declare
    course bigint;
    teacher bigint;
begin
    select l.course_id, l.teacher_id into course, teacher from lessons l where l.school_id = school and l.lesson_id = lesson;
    perform change_log_note(school, 'mark', lesson::text || ':' || student::text,
        jsonb_build_object('lesson_id', lesson, 'student_id', student, 'course_id', course, 'teacher_id', teacher));
    perform change_log_note(school, 'lesson', lesson::text,
        jsonb_build_object('lesson_id', lesson, 'course_id', course, 'teacher_id', teacher));
end $$;

create function change_log_on_mark() returns trigger
language plpgsql as $$
declare
    r attendance_records;
begin
    r := case when tg_op = 'DELETE' then old else new end;
    perform change_log_note_mark(r.school_id, r.lesson_id, r.student_id);
    return null;
end $$;

create function change_log_on_enrolment() returns trigger
language plpgsql as $$
declare
    r enrolments;
begin
    r := case when tg_op = 'DELETE' then old else new end;
    perform change_log_note(r.school_id, 'enrolment', r.course_id::text || ':' || r.student_id::text,
        jsonb_build_object('course_id', r.course_id, 'student_id', r.student_id));
    return null;
end $$;

create function change_log_on_user() returns trigger
language plpgsql as $$
declare
    r users;
begin
    r := case when tg_op = 'DELETE' then old else new end;
    perform change_log_note(r.school_id, 'user', r.user_id::text, jsonb_build_object('user_id', r.user_id, 'role', r.role));
    return null;
end $$;

create function change_log_on_course() returns trigger
language plpgsql as $$
declare
    r courses;
begin
    r := case when tg_op = 'DELETE' then old else new end;
    perform change_log_note(r.school_id, 'course', r.course_id::text, jsonb_build_object('course_id', r.course_id, 'teacher_id', r.teacher_id));
    return null;
end $$;

create trigger change_log_lessons after insert or update or delete on lessons
    for each row execute function change_log_on_lesson();
create trigger change_log_marks after insert or update or delete on attendance_records
    for each row execute function change_log_on_mark();
create trigger change_log_enrolments after insert or update or delete on enrolments
    for each row execute function change_log_on_enrolment();
create trigger change_log_users after insert or update or delete on users
    for each row execute function change_log_on_user();
create trigger change_log_courses after insert or update or delete on courses
    for each row execute function change_log_on_course();

-- The oldest transaction that may still commit, as this server sees it: every row of the log below it is
-- final. Called with the school so that, under Citus, it can be distributed by that argument and run on the
-- worker that holds the school's log, whose transaction ids the log's rows carry (docs/scale-out.md).
create function change_log_horizon(school text) returns xid8
language sql as $$
    select pg_snapshot_xmin(pg_current_snapshot()) where school is not null;
$$;
