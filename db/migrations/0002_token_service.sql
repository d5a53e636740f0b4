-- API clients of the built-in token service. The secret is kept only as a SHA-256 hash:
-- secrets are 40 random alphanumerics (~238 bits), so a slow password hash buys nothing.
create table api_clients (
    client_id           text primary key check (client_id ~ '^[A-Za-z0-9]{32}$'),
    name                text not null check (length(name) between 1 and 200),
    tier                text not null check (tier in ('free', 'standard', 'premium')),
    schools             text[] not null default '{}',
    scopes              text[] not null default '{}',
    secret_hash         bytea not null,
    created_at          timestamptz not null default now(),
    secret_rotated_at   timestamptz not null default now(),
    revoked_at          timestamptz
);

-- Asymmetric signing keys. The newest unretired key signs; the JWKS publishes it and the one
-- before it, so tokens signed just before a rotation stay valid until they expire.
create table signing_keys (
    kid          text primary key,
    algorithm    text not null check (algorithm in ('ES256', 'RS256')),
    private_key  bytea not null,
    public_jwk   jsonb not null,
    created_at   timestamptz not null default clock_timestamp(),
    retired_at   timestamptz
);
create index signing_keys_newest on signing_keys (created_at desc) where retired_at is null;
