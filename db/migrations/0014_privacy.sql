-- Student privacy: erasure, the record of disclosures, and retention (decision 0014).

-- An erased person keeps their row, as a placeholder without identity: their marks, enrolments and the
-- lessons they taught still point at it, so every count and every rollup stays what it was.
alter table users add column erased_at timestamptz;

-- Why each person was erased. Who did it and when is the audit event of the same request; the reason is
-- one of a list and the reference a case number, so the record never names the person it outlives.
create table erasures (
    school_id   text not null,
    user_id     bigint not null,
    erased_at   timestamptz not null default now(),
    reason      text not null check (reason in ('erasure_request', 'left_school', 'entered_in_error', 'retention_policy', 'other')),
    reference   text check (reference ~ '^[A-Za-z0-9_./-]{1,64}$'),
    request_id  text not null,
    primary key (school_id, user_id),
    foreign key (school_id, user_id) references users
);

-- FERPA 34 CFR 99.32: one row per request and student whose data an answer disclosed. Written in the
-- request's own statement before the answer leaves, so an answered request always has its row.
create table disclosures (
    school_id      text not null references schools,
    disclosure_id  bigint generated always as identity,
    student_id     bigint not null,
    occurred_at    timestamptz not null default now(),
    client_id      text not null,
    person_id      bigint,
    request_id     text not null,
    what           text not null check (length(what) between 1 and 100),
    primary key (school_id, disclosure_id),
    foreign key (school_id, student_id) references users
);
create index disclosures_by_student on disclosures (school_id, student_id, disclosure_id);
create index disclosures_by_age on disclosures (school_id, occurred_at);

-- The first day (in the school's calendar) whose raw marks the retention job kept: a summary of one
-- student over earlier days says the detail expired instead of counting zero.
create table retention_horizons (
    school_id        text primary key references schools,
    marks_kept_from  date not null
);

create index audit_events_by_age on audit_events (school_id, occurred_at);

-- Audit events are append-only, but for the retention job: it deletes events older than the school's
-- limit, in a transaction that says so first (set local statsapi.audit_retention = 'on').
create or replace function audit_events_append_only() returns trigger
language plpgsql as $$
begin
    if tg_op = 'DELETE' and current_setting('statsapi.audit_retention', true) = 'on' then
        return null;
    end if;
    raise exception 'audit_events is append-only' using errcode = 'insufficient_privilege';
end $$;
