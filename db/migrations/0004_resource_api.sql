-- The resource API: versions for ETags, deactivation of people, a course's teacher, idempotent
-- POSTs and the audit trail. Every new table leads its key with school_id, like the rest.

alter table users
    add column active      boolean not null default true,
    add column version     bigint not null default 1,
    add column updated_at  timestamptz not null default now(),
    add constraint users_names check (length(given_name) between 1 and 100 and length(family_name) between 1 and 100),
    add constraint users_email_shape check (email is null or (length(email) <= 254 and email ~ '^[^@\s]+@[^@\s]+$'));

-- The course's teacher: the person a teachers' tool acts for when it records the course's attendance.
alter table courses
    add column teacher_id  bigint,
    add column version     bigint not null default 1,
    add column updated_at  timestamptz not null default now(),
    add constraint courses_teacher foreign key (school_id, teacher_id) references users,
    add constraint courses_code_shape check (length(code) between 1 and 40),
    add constraint courses_name_shape check (length(name) between 1 and 200);
create index courses_by_teacher on courses (school_id, teacher_id, course_id) where teacher_id is not null;

update courses c set teacher_id = (
    select l.teacher_id from lessons l
    where l.school_id = c.school_id and l.course_id = c.course_id
    group by l.teacher_id order by count(*) desc, l.teacher_id limit 1);

alter table lessons
    add column version     bigint not null default 1,
    add column updated_at  timestamptz not null default now(),
    add constraint lessons_room_shape check (room is null or length(room) between 1 and 40),
    add constraint lessons_length check (ends_at - starts_at <= interval '12 hours');
create index lessons_by_teacher on lessons (school_id, teacher_id, starts_at);

alter table attendance_records
    add column version bigint not null default 1;

create index enrolments_by_course on enrolments (school_id, course_id, student_id);

-- A POST with an Idempotency-Key is recorded here in the transaction of its write: a retry, or a
-- concurrent twin waiting on this row's key, finds the first answer instead of writing again.
create table idempotency_keys (
    school_id        text not null references schools,
    client_id        text not null,
    idempotency_key  text not null,
    request_hash     bytea not null,
    status           integer not null,
    location         text,
    etag             text,
    body             text,
    created_at       timestamptz not null default now(),
    primary key (school_id, client_id, idempotency_key)
);
create index idempotency_keys_by_age on idempotency_keys (created_at);

-- Append-only: who did what to which object, and who read which student's record.
create table audit_events (
    school_id    text not null references schools,
    event_id     bigint generated always as identity,
    occurred_at  timestamptz not null default now(),
    client_id    text not null,
    person_id    bigint,
    request_id   text not null,
    action       text not null,
    object_type  text not null,
    object_id    text not null,
    primary key (school_id, event_id)
);
create index audit_events_by_object on audit_events (school_id, object_type, object_id, event_id);

create function audit_events_append_only() returns trigger
language plpgsql as $$
begin
    raise exception 'audit_events is append-only' using errcode = 'insufficient_privilege';
end $$;

create trigger audit_events_no_update before update or delete or truncate on audit_events
    for each statement execute function audit_events_append_only();
