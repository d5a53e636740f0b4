-- The token exchange knows only the API token, not its school. Looked up by hash in user_api_tokens,
-- it would need a unique index without school_id (which a table distributed by school_id cannot
-- have) and would ask every school's shard. The hashes live in a small global table instead (a
-- reference table when distributed, like api_clients) that names the token's school; the token and
-- its person are then read within that one school.
create table api_token_hashes (
    token_hash  bytea primary key,
    school_id   text not null,
    token_id    bigint not null,
    unique (school_id, token_id)
);

insert into api_token_hashes (token_hash, school_id, token_id)
select token_hash, school_id, token_id from user_api_tokens;

drop index user_api_tokens_by_hash;
alter table user_api_tokens drop column token_hash;
