-- Acting for a person: each person's API tokens, exchanged (with their tool's client secret) for a
-- short-lived access token that acts as them; and the revocations every instance keeps in memory so
-- that tokens already issued stop within a minute.

-- A token is shown once and kept only as a SHA-256 hash: it is 40 random alphanumerics after the
-- sta_ prefix (about 238 bits), which a slow hash would not protect any better.
create table user_api_tokens (
    school_id     text not null,
    token_id      bigint generated always as identity,
    user_id       bigint not null,
    name          text not null check (length(name) between 1 and 100),
    prefix        text not null,
    token_hash    bytea not null,
    created_at    timestamptz not null default now(),
    last_used_at  timestamptz,
    primary key (school_id, token_id),
    foreign key (school_id, user_id) references users
);
-- The exchange knows only the token: it finds the row by its hash.
create unique index user_api_tokens_by_hash on user_api_tokens (token_hash);
create index user_api_tokens_by_user on user_api_tokens (school_id, user_id, token_id);

-- The exchange knows only the client's secret.
create unique index api_clients_by_secret on api_clients (secret_hash);

-- What no longer authorises anything: a client, a person, or one API token, from a moment on. Access
-- tokens issued before that moment are refused. Rows older than the longest token lifetime change
-- nothing and are deleted.
create table token_revocations (
    kind        text not null check (kind in ('client', 'user', 'api_token')),
    subject     text not null,
    revoked_at  timestamptz not null default now(),
    primary key (kind, subject)
);
create index token_revocations_by_time on token_revocations (revoked_at);
