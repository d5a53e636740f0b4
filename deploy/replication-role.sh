#!/bin/sh
# Run once by the postgres image when the primary's data directory is created (compose.yaml mounts it
# into /docker-entrypoint-initdb.d): a role the standby streams the primary's WAL with.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v password="$REPLICATION_PASSWORD" <<'SQL'
create role replicator with replication login password :'password';
SQL
echo "host replication replicator all scram-sha-256" >> "$PGDATA/pg_hba.conf"
