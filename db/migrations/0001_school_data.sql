-- School data. school_id leads every primary key and index, so school-scoped reads stay
-- index-only and the tables can be distributed by school_id without a rewrite.

create table schools (
    school_id   text primary key
                check (school_id ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
    name        text not null check (length(name) between 1 and 200),
    -- Lessons are bucketed into days in the school's own time zone.
    time_zone   text not null default 'UTC',
    created_at  timestamptz not null default now()
);

create table users (
    school_id    text not null references schools,
    user_id      bigint generated always as identity,
    role         text not null check (role in ('student', 'teacher', 'admin')),
    given_name   text not null,
    family_name  text not null,
    email        text,
    created_at   timestamptz not null default now(),
    primary key (school_id, user_id)
);
create index users_by_role on users (school_id, role, user_id);
create unique index users_email on users (school_id, lower(email)) where email is not null;

create table courses (
    school_id   text not null references schools,
    course_id   bigint generated always as identity,
    code        text not null,
    name        text not null,
    created_at  timestamptz not null default now(),
    primary key (school_id, course_id),
    unique (school_id, code)
);

create table enrolments (
    school_id    text not null,
    course_id    bigint not null,
    student_id   bigint not null,
    enrolled_on  date not null,
    primary key (school_id, course_id, student_id),
    foreign key (school_id, course_id) references courses,
    foreign key (school_id, student_id) references users
);
create index enrolments_by_student on enrolments (school_id, student_id);

create table lessons (
    school_id   text not null,
    lesson_id   bigint generated always as identity,
    course_id   bigint not null,
    teacher_id  bigint not null,
    starts_at   timestamptz not null,
    ends_at     timestamptz not null,
    room        text,
    created_at  timestamptz not null default now(),
    primary key (school_id, lesson_id),
    foreign key (school_id, course_id) references courses,
    foreign key (school_id, teacher_id) references users,
    check (ends_at > starts_at)
);
create index lessons_by_course on lessons (school_id, course_id, starts_at);
create index lessons_by_start on lessons (school_id, starts_at);

-- Deleting a lesson never drops its attendance: the foreign key restricts.
create table attendance_records (
    school_id    text not null,
    lesson_id    bigint not null,
    student_id   bigint not null,
    status       text not null check (status in ('present', 'absent', 'late', 'excused')),
    recorded_by  bigint,
    recorded_at  timestamptz not null default now(),
    primary key (school_id, lesson_id, student_id),
    foreign key (school_id, lesson_id) references lessons on delete restrict,
    foreign key (school_id, student_id) references users
);
create index attendance_by_student on attendance_records (school_id, student_id);

-- The summary reads this rollup, so its cost follows the days asked for, not the rows stored.
-- Statement-level triggers keep it exact inside the transaction of every attendance write,
-- whatever the write path (single rows, batches or COPY).
create table attendance_daily (
    school_id  text not null references schools,
    day        date not null,
    course_id  bigint not null,
    present    integer not null default 0,
    absent     integer not null default 0,
    late       integer not null default 0,
    excused    integer not null default 0,
    primary key (school_id, day, course_id)
);

-- The same per school and day, for the summaries that neither filter nor group by course (the
-- common case): they read one row a day instead of one a day and course.
create table attendance_school_daily (
    school_id  text not null references schools,
    day        date not null,
    present    integer not null default 0,
    absent     integer not null default 0,
    late       integer not null default 0,
    excused    integer not null default 0,
    primary key (school_id, day)
);

create type attendance_delta as (
    school_id  text,
    day        date,
    course_id  bigint,
    status     text,
    sign       integer
);

create function attendance_rollup_apply(deltas attendance_delta[]) returns void
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

-- Each trigger first takes a share lock on the lessons its rows belong to, then reads their day and
-- course in a fresh statement: a concurrent move of a lesson either finishes first (and is seen) or
-- waits for the write (and carries its attendance along).
create function attendance_rollup_on_insert() returns trigger
language plpgsql as $$
begin
    perform from lessons l where (l.school_id, l.lesson_id) in (select school_id, lesson_id from new_rows)
        order by l.school_id, l.lesson_id for share;
    perform attendance_rollup_apply(array(
        select row(r.school_id, (l.starts_at at time zone s.time_zone)::date, l.course_id, r.status, 1)::attendance_delta
        from new_rows r
        join lessons l on l.school_id = r.school_id and l.lesson_id = r.lesson_id
        join schools s on s.school_id = r.school_id));
    return null;
end $$;

create function attendance_rollup_on_delete() returns trigger
language plpgsql as $$
begin
    perform from lessons l where (l.school_id, l.lesson_id) in (select school_id, lesson_id from old_rows)
        order by l.school_id, l.lesson_id for share;
    perform attendance_rollup_apply(array(
        select row(r.school_id, (l.starts_at at time zone s.time_zone)::date, l.course_id, r.status, -1)::attendance_delta
        from old_rows r
        join lessons l on l.school_id = r.school_id and l.lesson_id = r.lesson_id
        join schools s on s.school_id = r.school_id));
    return null;
end $$;

create function attendance_rollup_on_update() returns trigger
language plpgsql as $$
begin
    perform from lessons l
        where (l.school_id, l.lesson_id) in (select school_id, lesson_id from old_rows union select school_id, lesson_id from new_rows)
        order by l.school_id, l.lesson_id for share;
    perform attendance_rollup_apply(array(
        select row(r.school_id, (l.starts_at at time zone s.time_zone)::date, l.course_id, r.status, r.sign)::attendance_delta
        from (select school_id, lesson_id, status, -1 as sign from old_rows
              union all
              select school_id, lesson_id, status, 1 from new_rows) r
        join lessons l on l.school_id = r.school_id and l.lesson_id = r.lesson_id
        join schools s on s.school_id = r.school_id));
    return null;
end $$;

create trigger attendance_rollup_insert after insert on attendance_records
    referencing new table as new_rows for each statement execute function attendance_rollup_on_insert();
create trigger attendance_rollup_delete after delete on attendance_records
    referencing old table as old_rows for each statement execute function attendance_rollup_on_delete();
create trigger attendance_rollup_update after update on attendance_records
    referencing old table as old_rows new table as new_rows for each statement execute function attendance_rollup_on_update();

-- A rescheduled lesson (another day) or a lesson moved to another course carries its attendance along.
create function attendance_rollup_on_lesson_move() returns trigger
language plpgsql as $$
begin
    perform attendance_rollup_apply(array(
        select row(m.school_id, (m.starts_at at time zone s.time_zone)::date, m.course_id, a.status, m.sign)::attendance_delta
        from (select school_id, lesson_id, course_id, starts_at, -1 as sign from old_lessons
              union all
              select school_id, lesson_id, course_id, starts_at, 1 from new_lessons) m
        join attendance_records a on a.school_id = m.school_id and a.lesson_id = m.lesson_id
        join schools s on s.school_id = m.school_id));
    return null;
end $$;

create trigger attendance_rollup_lesson_move after update on lessons
    referencing old table as old_lessons new table as new_lessons
    for each statement execute function attendance_rollup_on_lesson_move();
