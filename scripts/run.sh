#!/usr/bin/env bash
# Runs StatsApi locally over HTTPS. Without ConnectionStrings__Default it provisions a PostgreSQL
# cluster under .local/, then migrates, loads the demo schools and registers a demo client (each once).
#   ./scripts/run.sh                 start (a second run reuses the data, the client and the certificate)
#   ./scripts/run.sh admin ARGS...   an admin command against the local setup, without the server
#                                    (./scripts/run.sh admin help lists them)
#   ./scripts/run.sh stop            stop the local PostgreSQL
#   ./scripts/run.sh help            usage, and the settings it reads (STATSAPI_PORT, ...)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/postgres.sh
. scripts/lib/build.sh

usage() {
  cat <<'USAGE'
Usage: ./scripts/run.sh [admin COMMAND... | stop | help]

  ./scripts/run.sh                 serves StatsApi on https://localhost:5443 with demo data, a demo client
                                   and a demo teacher's API token, and prints your first call
  ./scripts/run.sh admin COMMAND   runs an admin command against the local setup, without the server
                                   (./scripts/run.sh admin help lists the commands)
  ./scripts/run.sh stop            stops the local PostgreSQL
  ./scripts/run.sh help            this text (also --help, -h)

Environment:
  STATSAPI_PORT               the HTTPS port (5443)
  ConnectionStrings__Default  a PostgreSQL of your own instead of the local cluster under .local/
  Any other setting of README's Configuration table, such as Auth__RevocationRefreshSeconds=5.
USAGE
}

case "${1:-}" in
  "" | admin | stop) ;;
  help | --help | -h)
    usage
    exit 0
    ;;
  *)
    echo "Unknown command '$1'." >&2
    usage >&2
    exit 2
    ;;
esac

state="$PWD/.local"
cluster="$state/postgres"
port="${STATSAPI_PORT:-5443}"
base="https://localhost:$port"
mkdir -p "$state"
# Traversable by the postgres user that owns the cluster; the secrets inside are 600.
chmod 711 "$state"
if [ "$(id -u)" = 0 ] && ! runuser -u postgres -- test -x "$state" 2>/dev/null; then
  # The postgres user cannot reach this checkout (one under /root, say): keep the cluster where it can.
  cluster="/var/tmp/statsapi-$(printf %s "$PWD" | sha1sum | cut -c1-12)/postgres"
fi

if [ "${1:-}" = "stop" ]; then
  pg_stop "$cluster"
  echo "Stopped the local PostgreSQL."
  exit 0
fi

# What the server and the admin commands share: the database, the key-encryption key, the issuer.
# Progress goes to stderr, so an admin command's output (--json) stays its own.
if [ -z "${ConnectionStrings__Default:-}" ]; then
  pg_ensure_binaries
  if [ ! -f "$cluster/data/PG_VERSION" ]; then
    echo "Creating a local PostgreSQL cluster in $cluster ..." >&2
    pg_init "$cluster"
    pg_free_port > "$cluster/port"
  fi
  pg_port=$(cat "$cluster/port")
  pg_running "$cluster" || pg_start "$cluster" "$pg_port"
  pg_create_database "$pg_port" statsapi
  export ConnectionStrings__Default="Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=statsapi"
fi

# Encrypts the token signing keys at rest; losing it means rotating keys, never losing data.
if [ ! -s "$state/key-encryption-key" ]; then
  (umask 077 && openssl rand -base64 32 > "$state/key-encryption-key")
fi
Tokens__KeyEncryptionKey="$(cat "$state/key-encryption-key")"
export Tokens__KeyEncryptionKey
export Auth__Issuer="$base"

service_build || exit 1
app=(dotnet "$service_dll")

if [ "${1:-}" = "admin" ]; then
  shift
  exec "${app[@]}" "${@:-help}"
fi

# The first call's commands read the token with jq.
if ! command -v jq >/dev/null; then
  echo "jq not found; installing it with apt-get." >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq jq >/dev/null
fi

# A self-signed certificate for localhost, made once; curl trusts it through --cacert.
cert_pem="$state/localhost.pem"
cert_pfx="$state/localhost.pfx"
if [ ! -f "$cert_pfx" ]; then
  openssl rand -hex 16 > "$state/localhost.pass"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 365 -subj "/CN=localhost" \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" -addext "extendedKeyUsage=serverAuth" \
    -keyout "$state/localhost.key" -out "$cert_pem" 2>/dev/null
  openssl pkcs12 -export -out "$cert_pfx" -inkey "$state/localhost.key" -in "$cert_pem" -passout "pass:$(cat "$state/localhost.pass")"
  chmod 600 "$state/localhost.key" "$cert_pfx" "$state/localhost.pass"
fi

"${app[@]}" migrate
"${app[@]}" seed

demo_scopes="schools:read,users:read,courses:read,lessons:read,lessons:write,attendance:read,attendance:write"
client_file="$state/demo-client.json"
teacher_file="$state/demo-teacher.json"
# The demo client and teacher token belong to one database: another ConnectionStrings__Default gets its own.
database_file="$state/demo-database"
database=$(printf %s "$ConnectionStrings__Default" | sha256sum | cut -c1-16)
if [ "$(cat "$database_file" 2>/dev/null)" != "$database" ]; then
  rm -f "$client_file" "$teacher_file"
  echo "$database" > "$database_file"
fi
# A client made by an older run.sh, with fewer scopes, is replaced.
if [ ! -s "$client_file" ] || ! jq -e '.scopes | index("lessons:write")' "$client_file" >/dev/null; then
  "${app[@]}" clients create --name "Demo teachers' tool" --tier standard \
    --schools oakwood-primary,ravenscroft-high --scopes "$demo_scopes" --json > "$client_file.tmp"
  mv "$client_file.tmp" "$client_file"
  chmod 600 "$client_file"
fi

# An API token for the teacher of Oakwood's first course, for the first call's teacher steps. psql finds
# the teacher in the database ConnectionStrings__Default names, whether run.sh made it or it was given.
if [ ! -s "$teacher_file" ]; then
  if ! command -v psql >/dev/null; then
    echo "psql not found; installing it with apt-get." >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq postgresql-client >/dev/null
  fi
  teacher=$(eval "$(pg_libpq_env "$ConnectionStrings__Default")" && psql -X -v ON_ERROR_STOP=1 -tAc \
    "select teacher_id from courses where school_id = 'oakwood-primary' and teacher_id is not null order by course_id limit 1")
  if [ -z "$teacher" ]; then
    echo "No teacher of oakwood-primary's courses found in the database; cannot make the demo teacher's API token." >&2
    exit 1
  fi
  "${app[@]}" api-tokens create --school oakwood-primary --user "$teacher" --name "Demo teacher's tool" --json > "$teacher_file.tmp"
  mv "$teacher_file.tmp" "$teacher_file"
  chmod 600 "$teacher_file"
fi

# A platform administrator of the developer portal, who approves access requests in the browser.
portal_admin_file="$state/demo-portal-admin.json"
if [ ! -s "$portal_admin_file" ] || [ "$(jq -r .password "$portal_admin_file")" = "null" ]; then
  (umask 077 && "${app[@]}" portal admins add portal-admin@statsapi.localhost --json > "$portal_admin_file.tmp")
  mv "$portal_admin_file.tmp" "$portal_admin_file"
  chmod 600 "$portal_admin_file"
fi
portal_admin_password=$(jq -r .password "$portal_admin_file")
if [ "$portal_admin_password" = "null" ]; then
  portal_admin_password="(made before .local/demo-portal-admin.json was removed: not known)"
fi

cat <<INFO

StatsApi is starting on $base
  API docs:      $base/api-docs   (Authorize with the demo client, or paste a token)
  Demo client:   a teachers' tool, tier standard; schools oakwood-primary, ravenscroft-high; scopes $demo_scopes
  Demo teacher:  user $(jq -r .user_id "$teacher_file" 2>/dev/null || echo "-") of oakwood-primary, with an API token (.local/demo-teacher.json)
  Portal:        $base/portal   (integrators sign up, ask for access and make their own credentials)
  Portal admin:  $(jq -r .email "$portal_admin_file") / $portal_admin_password   (reviews requests at $base/portal/admin; .local/demo-portal-admin.json)
  Admin:         ./scripts/run.sh admin help

Your first call, from this directory in another terminal:

export CLIENT_ID=$(jq -r .client_id "$client_file") CLIENT_SECRET=$(jq -r .client_secret "$client_file") TEACHER_API_TOKEN=$(jq -r .api_token "$teacher_file" 2>/dev/null)

$(sed "s|https://localhost:5443|$base|g" scripts/first-call.sh)

Stop with Ctrl-C; './scripts/run.sh stop' stops the local PostgreSQL.

INFO

export ASPNETCORE_URLS="https://127.0.0.1:$port"
export Kestrel__Certificates__Default__Path="$cert_pfx"
Kestrel__Certificates__Default__Password="$(cat "$state/localhost.pass")"
export Kestrel__Certificates__Default__Password
exec "${app[@]}"
