#!/usr/bin/env bash
# Loads demo data of a chosen size with binary COPY into a throwaway PostgreSQL, starts the service in
# Release and a bare Kestrel + Npgsql endpoint on the same SQL, each in a process of its own, warms both,
# drives them with wrk over loopback in rounds (a bare floor and the service's answers in the opposite
# order each round), and prints each run, the medians and spread of the rounds, and the ratios.
# Arguments go to the benchmark: --records N (1e6 by default; 1e7, 1e8 take their time)
#   --schools N (1000) --seconds N (10 a scenario) --connections N (32) --rounds N (3) --warm N (20 s a path)
#   --only words --set Name=value
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

if ! command -v wrk >/dev/null; then
  echo "wrk not found; installing it with apt-get." >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq wrk >/dev/null
fi

if [ -z "${ConnectionStrings__Default:-}" ]; then
  pg_ensure_binaries
  cluster=$(mktemp -d)
  pg_init "$cluster"
  port=$(pg_free_port)
  pg_start "$cluster" "$port" "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=512MB -c max_wal_size=4GB -c max_connections=300"
  pg_create_database "$port" statsapi_bench
  export ConnectionStrings__Default="Host=127.0.0.1;Port=$port;Username=postgres;Database=statsapi_bench;Command Timeout=600"
fi

dotnet build src/StatsApi/StatsApi.csproj -c Release -nologo -v quiet -clp:ErrorsOnly
dotnet build bench/StatsApi.Bench/StatsApi.Bench.csproj -c Release -nologo -v quiet -clp:ErrorsOnly
# The HTTP scenarios run the service itself as a separate process on a loopback port.
export STATSAPI_DLL="$PWD/src/StatsApi/bin/Release/net10.0/StatsApi.dll"
# Nothing reads standard input: the bench runs unattended.
dotnet bench/StatsApi.Bench/bin/Release/net10.0/StatsApi.Bench.dll "$@" </dev/null
