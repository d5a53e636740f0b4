-- A revocation raises its subject's generation instead of naming a moment: an access token carries
-- the generation of its client (and person) read with the grants it was issued from, and is refused
-- once a later one is recorded. Comparing the token's whole-second iat with the database's
-- microsecond clock refused tokens issued just after a change, and could spare ones issued just
-- before it when the clocks disagree (decision 0011).
alter table token_revocations add column generation bigint not null default 1;
