# Shell functions for a local PostgreSQL cluster on loopback: sourced by run.sh, test.sh and bench.sh.

PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"

# Installs the PostgreSQL server from Debian's packages when this machine lacks it.
pg_ensure_binaries() {
  if [ -x "$PG_BIN/initdb" ]; then
    return
  fi
  echo "PostgreSQL server binaries not found; installing them with apt-get." >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq postgresql-15 >/dev/null || apt-get install -y -qq postgresql >/dev/null
  PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
}

# initdb refuses to run as root, so the cluster belongs to the postgres user when we are root.
pg_as_owner() {
  if [ "$(id -u)" = 0 ]; then
    # From / so that the postgres user is not left in a directory it may not enter.
    (cd / && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

pg_free_port() {
  local port
  for _ in $(seq 1 50); do
    port=$(( (RANDOM % 20000) + 40000 ))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return
    fi
  done
  echo "No free loopback port found." >&2
  return 1
}

# pg_init DIR: a new cluster in DIR/data, trusting connections from loopback only.
pg_init() {
  local dir=$1
  mkdir -p "$dir"
  if [ "$(id -u)" = 0 ]; then
    chown postgres "$dir"
  fi
  pg_as_owner "$PG_BIN/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --no-sync >/dev/null
}

pg_running() {
  [ -f "$1/data/postmaster.pid" ] && pg_as_owner "$PG_BIN/pg_ctl" -D "$1/data" status >/dev/null 2>&1
}

# pg_start DIR PORT [SERVER OPTIONS]: starts the cluster and waits until it accepts connections.
pg_start() {
  local dir=$1 port=$2 extra=${3:-}
  pg_as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 $extra" start >/dev/null
}

pg_stop() {
  if pg_running "$1"; then
    pg_as_owner "$PG_BIN/pg_ctl" -D "$1/data" -m fast -w stop >/dev/null
  fi
}

# pg_create_database PORT NAME: creates the database unless it exists.
pg_create_database() {
  local port=$1 name=$2
  if ! psql -h 127.0.0.1 -p "$port" -U postgres -d postgres -tAc "select 1 from pg_database where datname = '$name'" | grep -q 1; then
    psql -h 127.0.0.1 -p "$port" -U postgres -d postgres -qc "create database $name" >/dev/null
  fi
}

# pg_libpq_env CONNECTION_STRING: prints export lines that point psql (libpq) at the database an Npgsql
# connection string names: its hosts (a list, each with an optional :port), port, user, password, database,
# SSL mode and target session attributes. Other keys (pooling, timeouts) mean nothing to psql and are left out.
pg_libpq_env() {
  local IFS=';' pair key value h port="" hosts=() host_ports=()
  for pair in $1; do
    key=$(printf %s "${pair%%=*}" | tr -d ' ' | tr '[:upper:]' '[:lower:]')
    value=${pair#*=}
    value=${value#"${value%%[![:space:]]*}"}
    value=${value%"${value##*[![:space:]]}"}
    case "$key" in
      host | server)
        IFS=',' read -ra list <<< "$value"
        for h in "${list[@]}"; do
          hosts+=("${h%%:*}")
          if [ "$h" != "${h%%:*}" ]; then host_ports+=("${h##*:}"); else host_ports+=(""); fi
        done
        ;;
      port) port=$value ;;
      username | user | userid) printf 'export PGUSER=%q\n' "$value" ;;
      password | pwd) printf 'export PGPASSWORD=%q\n' "$value" ;;
      database | db) printf 'export PGDATABASE=%q\n' "$value" ;;
      sslmode) printf 'export PGSSLMODE=%q\n' "$(printf %s "$value" | tr '[:upper:]' '[:lower:]')" ;;
      targetsessionattributes) printf 'export PGTARGETSESSIONATTRS=%q\n' "$(printf %s "$value" | tr '[:upper:]' '[:lower:]')" ;;
    esac
  done
  if [ ${#hosts[@]} -gt 0 ]; then
    # A host's own :port wins over Port=, which applies to the others (5432 when neither is given).
    local ports=() i
    for i in "${!hosts[@]}"; do ports+=("${host_ports[$i]:-${port:-5432}}"); done
    IFS=','
    printf 'export PGHOST=%q PGPORT=%q\n' "${hosts[*]}" "${ports[*]}"
  elif [ -n "$port" ]; then
    printf 'export PGPORT=%q\n' "$port"
  fi
}
