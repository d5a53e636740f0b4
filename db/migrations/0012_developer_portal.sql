-- The developer portal: integrators sign up, ask for access, and once a platform administrator approves,
-- create their own API clients. Nothing here belongs to one school: these are reference tables.

create table developer_accounts (
    account_id          bigint generated always as identity primary key,
    email               text not null check (length(email) between 3 and 254),
    password_hash       text not null,
    -- No mail server confirms an address: an account stays pending until an administrator approves its request.
    state               text not null default 'pending' check (state in ('pending', 'active')),
    is_platform_admin   boolean not null default false,
    -- Changed to end every session of the account at once (sign-out everywhere, approval, a new password).
    security_stamp      text not null,
    created_at          timestamptz not null default now()
);
create unique index developer_accounts_email on developer_accounts (lower(email));

create table access_requests (
    request_id          bigint generated always as identity primary key,
    account_id          bigint not null references developer_accounts,
    organisation        text not null check (length(organisation) between 1 and 200),
    website             text not null check (length(website) between 1 and 500),
    contact_name        text not null check (length(contact_name) between 1 and 200),
    contact_email       text not null check (length(contact_email) between 3 and 254),
    contact_telephone   text not null check (length(contact_telephone) between 1 and 50),
    purpose             text not null check (length(purpose) between 1 and 4000),
    schools_wanted      text[] not null,
    tier_wanted         text not null check (tier_wanted in ('free', 'standard', 'premium')),
    redirect_uri        text check (length(redirect_uri) <= 500),
    state               text not null default 'pending' check (state in ('pending', 'approved', 'declined')),
    reviewer_reason     text check (length(reviewer_reason) <= 2000),
    reviewed_by         bigint references developer_accounts,
    reviewed_at         timestamptz,
    granted_schools     text[],
    granted_tier        text check (granted_tier in ('free', 'standard', 'premium')),
    granted_scopes      text[],
    created_at          timestamptz not null default now(),
    check (state <> 'approved' or (granted_schools is not null and granted_tier is not null and granted_scopes is not null)),
    check (state <> 'declined' or reviewer_reason is not null)
);
create index access_requests_by_account on access_requests (account_id, request_id);
create index access_requests_pending on access_requests (request_id) where state = 'pending';

-- The clients an approved organisation created in the portal: the only ones its developers see.
create table portal_applications (
    client_id           text primary key references api_clients,
    request_id          bigint not null references access_requests,
    created_by          bigint not null references developer_accounts,
    created_at          timestamptz not null default now()
);
create index portal_applications_by_request on portal_applications (request_id, created_at);

-- Failed sign-ins per address typed, known account or not, shared by every instance.
create table portal_sign_in_failures (
    email_key           text primary key,
    failures            integer not null,
    first_failed_at     timestamptz not null,
    locked_until        timestamptz
);

-- Who registered, rotated, changed or revoked a client, through whichever door: the admin API, the
-- command line or the portal.
create table client_events (
    event_id            bigint generated always as identity primary key,
    occurred_at         timestamptz not null default now(),
    client_id           text not null,
    action              text not null,
    actor               text not null
);
create index client_events_by_client on client_events (client_id, event_id);
