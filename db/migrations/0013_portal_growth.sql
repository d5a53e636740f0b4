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
