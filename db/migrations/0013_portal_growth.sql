-- The developer portal grows: sessions every instance can read, sign-in failures per network address,
-- requests to add schools and the record of every grant change, and each client's requests per day.

-- The key ring that protects the portal's cookies and antiforgery tokens, shared by every instance so a
-- session started on one is read on another (and ended on all when its stamp changes).
create table data_protection_keys (
    name                text primary key,
    xml                 bytea not null,
    protection          text not null,
    created_at          timestamptz not null default now()
);

-- Failed sign-ins per client network address (an IPv6 address by its /64), whatever the e-mail addresses
-- typed, shared by every instance: one address trying many accounts is stopped too.
create table portal_sign_in_address_failures (
    address_key         text primary key,
    failures            integer not null,
    first_failed_at     timestamptz not null,
    locked_until        timestamptz
);

-- An approved organisation asks for more: schools, and perhaps a higher tier or more scopes. A platform
-- administrator approves (perhaps narrowing) or declines with a reason the developer reads.
create table school_requests (
    school_request_id   bigint generated always as identity primary key,
    request_id          bigint not null references access_requests,
    account_id          bigint not null references developer_accounts,
    schools_wanted      text[] not null,
    tier_wanted         text check (tier_wanted in ('free', 'standard', 'premium')),
    scopes_wanted       text[] not null,
    purpose             text not null check (length(purpose) between 1 and 4000),
    state               text not null default 'pending' check (state in ('pending', 'approved', 'declined', 'withdrawn')),
    reviewer_reason     text check (length(reviewer_reason) <= 2000),
    reviewed_by         bigint references developer_accounts,
    reviewed_at         timestamptz,
    granted_schools     text[],
    granted_tier        text check (granted_tier in ('free', 'standard', 'premium')),
    granted_scopes      text[],
    created_at          timestamptz not null default now(),
    check (state <> 'approved' or (granted_schools is not null and granted_scopes is not null)),
    check (state <> 'declined' or reviewer_reason is not null)
);
-- One request waiting per organisation at a time.
create unique index school_requests_one_pending on school_requests (request_id) where state = 'pending';
create index school_requests_pending on school_requests (school_request_id) where state = 'pending';

-- Every change of an organisation's grant, through whichever review: the first approval, a decline, a
-- request to add schools approved or declined. What the grant became is kept with who changed it.
create table grant_events (
    event_id            bigint generated always as identity primary key,
    occurred_at         timestamptz not null default now(),
    request_id          bigint not null references access_requests,
    school_request_id   bigint references school_requests,
    action              text not null,
    actor               text not null,
    schools             text[],
    tier                text,
    scopes              text[]
);
create index grant_events_by_request on grant_events (request_id, event_id);

-- Each client's requests per day (UTC), with its 429s and other 4xx, added to by every instance in batches
-- every few seconds, never by a statement per request: what a developer's usage chart and "last use" read.
create table client_usage_daily (
    client_id           text not null,
    day                 date not null,
    requests            bigint not null,
    throttled           bigint not null,
    client_errors       bigint not null,
    last_request_at     timestamptz not null,
    primary key (client_id, day)
);
