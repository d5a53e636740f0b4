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

-- Asymmetric signing keys. The JWKS publishes the three newest unretired ones (next, current,
-- previous); which one signs is decided by the service (see SigningKeys).
create table signing_keys (
    kid          text primary key,
    algorithm    text not null check (algorithm in ('ES256', 'RS256')),
    -- 'none' (PKCS#8 as is) or 'aes-256-gcm' (encrypted under the key-encryption key from
    -- configuration, which never enters the database).
    private_key  bytea not null,
    protection   text not null default 'none' check (protection in ('none', 'aes-256-gcm')),
    public_jwk   jsonb not null,
    created_at   timestamptz not null default clock_timestamp(),
    retired_at   timestamptz
);
create index signing_keys_newest on signing_keys (created_at desc) where retired_at is null;
