#!/usr/bin/env bash
# Loads a large demo data set into a throwaway PostgreSQL and prints the attendance summary's
# latency from the rollup against the same totals counted from the records (the baseline).
# Then it runs the service as a process on loopback and measures whole-pipeline requests per second.
# Arguments go to the benchmark: --schools N --students-per-school N --weeks N --iterations N
#   --seconds N (per HTTP scenario) --concurrency N
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/postgres.sh

cluster=""
cleanup() {
  if [ -n "$cluster" ]; then
    pg_stop "$cluster" || true
    rm -rf "$cluster"
  fi
}
trap cleanup EXIT

if [ -z "${ConnectionStrings__Default:-}" ]; then
  pg_ensure_binaries
  cluster=$(mktemp -d)
  pg_init "$cluster"
  port=$(pg_free_port)
  pg_start "$cluster" "$port" "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=512MB -c max_wal_size=4GB"
  pg_create_database "$port" statsapi_bench
  export ConnectionStrings__Default="Host=127.0.0.1;Port=$port;Username=postgres;Database=statsapi_bench;Command Timeout=600"
fi

dotnet build src/StatsApi/StatsApi.csproj -c Release -nologo -v quiet -clp:ErrorsOnly
dotnet build bench/StatsApi.Bench/StatsApi.Bench.csproj -c Release -nologo -v quiet -clp:ErrorsOnly
# The HTTP scenarios run the service itself as a separate process on a loopback port.
export STATSAPI_DLL="$PWD/src/StatsApi/bin/Release/net10.0/StatsApi.dll"
dotnet bench/StatsApi.Bench/bin/Release/net10.0/StatsApi.Bench.dll "$@"
