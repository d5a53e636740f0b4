-- Each instance keeps the client rows it issues tokens from, and the key that signs, in memory (decision
-- 0017), and empties an entry as soon as these triggers announce its change. NOTIFY is delivered when the
-- changing transaction commits, to every session listening on the primary, whichever door made the change
-- (the admin API, the portal, the command line, or SQL typed by hand). Under Citus the three tables are
-- reference tables: the trigger fires on each node's copy, and the coordinator's, where the service's
-- listeners connect, is the one heard; the workers' notifications reach nobody.
create or replace function issuance_client_changed() returns trigger
language plpgsql as $$
begin
    if tg_table_name = 'api_clients' then
        perform pg_notify('statsapi_issuance', 'client:' || coalesce(new.client_id, old.client_id));
    elsif coalesce(new.kind, old.kind) = 'client' then
        perform pg_notify('statsapi_issuance', 'client:' || coalesce(new.subject, old.subject));
    end if;
    return null;
end $$;

-- Anything the listeners cannot name one client for: the keys changed, or a table was emptied.
create or replace function issuance_all_changed() returns trigger
language plpgsql as $$
begin
    perform pg_notify('statsapi_issuance', case when tg_table_name = 'signing_keys' then 'keys' else 'all' end);
    return null;
end $$;

-- A new client was never read, so nothing holds it: inserts need no word.
create trigger issuance_api_clients_change after update or delete on api_clients
    for each row execute function issuance_client_changed();
create trigger issuance_api_clients_truncate after truncate on api_clients
    for each statement execute function issuance_all_changed();
-- A client's generation is read with its row and carried by its tokens.
create trigger issuance_token_revocations_change after insert or update or delete on token_revocations
    for each row execute function issuance_client_changed();
create trigger issuance_token_revocations_truncate after truncate on token_revocations
    for each statement execute function issuance_all_changed();
create trigger issuance_signing_keys_change after insert or update or delete or truncate on signing_keys
    for each statement execute function issuance_all_changed();
