-- How a signing key's private part is stored: 'none' (PKCS#8 as is) or 'aes-256-gcm' (encrypted
-- with the key-encryption key from configuration, which never enters the database).
alter table signing_keys
    add column protection text not null default 'none' check (protection in ('none', 'aes-256-gcm'));
