#!/usr/bin/env bash
# Runs every test against a real PostgreSQL: Testcontainers where Docker answers, otherwise a
# throwaway local cluster started here and removed on exit; and against a throwaway Redis, started
# here without persistence and stopped on exit. Extra arguments go to 'dotnet test'.
# Lints openapi.yaml first where npm is present. The results stay in TestResults/ until the next run;
# the browser test's screenshots (TestResults/screenshots/) until the next run of the whole suite, so a
# filtered run never takes away those of the last full one. Each failure is printed once, at the end,
# with its message; the whole output of every test is in TestResults/results.trx.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/postgres.sh
. scripts/lib/redis.sh
. scripts/lib/chromium.sh

REDOCLY_CLI_VERSION=2.77.0

results=TestResults
if [ "$#" -eq 0 ]; then
  rm -rf "$results"
else
  rm -f "$results"/*.trx
fi
mkdir -p "$results/screenshots"
export STATSAPI_TEST_SCREENSHOTS="$PWD/$results/screenshots"
cluster=""
redis=""
cleanup() {
  if [ -n "$cluster" ]; then
    pg_stop "$cluster" || true
    rm -rf "$cluster"
  fi
  if [ -n "$redis" ]; then
    redis_stop "$redis" || true
    rm -rf "$redis"
  fi
}
trap cleanup EXIT

# The fault tests run clusters of their own, which they stop and start, wherever the shared one comes from.
pg_ensure_binaries
export PG_BIN

lint=0
if command -v npx >/dev/null; then
  echo "Linting openapi.yaml with @redocly/cli $REDOCLY_CLI_VERSION."
  # No usage data sent, no update notice: the lint is all it does.
  # Quiet when the contract is clean; its findings in full when it is not.
  REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true \
    npx --yes "@redocly/cli@$REDOCLY_CLI_VERSION" lint openapi.yaml --format=stylish >"$results/redocly.log" 2>&1 || lint=$?
  [ "$lint" -eq 0 ] || cat "$results/redocly.log"
else
  echo "npm not found: openapi.yaml is not linted."
fi

chromium_ensure

if [ -z "${STATSAPI_TEST_POSTGRES:-}" ]; then
  if docker info >/dev/null 2>&1; then
    echo "Docker answers: the tests start PostgreSQL with Testcontainers."
  else
    cluster=$(mktemp -d)
    pg_init "$cluster"
    port=$(pg_free_port)
    # Durability is pointless for a cluster deleted at the end of the run.
    pg_start "$cluster" "$port" "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
    export STATSAPI_TEST_POSTGRES="Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres"
    echo "Started a throwaway PostgreSQL on 127.0.0.1:$port."
  fi
fi

if [ -z "${STATSAPI_TEST_REDIS:-}" ]; then
  redis_ensure_binaries
  redis=$(mktemp -d)
  redis_port=$(pg_free_port)
  redis_start "$redis" "$redis_port"
  export STATSAPI_TEST_REDIS="127.0.0.1:$redis_port"
  echo "Started a throwaway Redis on $STATSAPI_TEST_REDIS."
fi

dotnet build StatsApi.sln -c Release -nologo -clp:ErrorsOnly
# Profile-guided re-compilation instruments hot methods and compiles them again; a test run executes most
# code a few times and never again, so it would pay for that without earning it back. The service itself
# keeps the default; set DOTNET_TieredPGO=1 to run the tests with it.
export DOTNET_TieredPGO="${DOTNET_TieredPGO:-0}"
# xunit names each failure as it happens; the summary below names it once more, with its message: once is enough.
run_tests() {
  dotnet test StatsApi.sln -c Release --no-build -nologo --logger "console;verbosity=quiet" --results-directory "$results" "$@" |
    { grep -v -E '^\[xUnit\.net [0-9:.]+\] .* \[FAIL\]$' || true; }
}
set +e
if [ "$#" -eq 0 ]; then
  # The whole suite records each statement the service sends (RunStatements); a step of its own then
  # checks them all for Citus, after every test has run, whatever order the tests ran in.
  statements="$PWD/$results/statements.jsonl"
  STATSAPI_TEST_STATEMENTS="$statements" run_tests --logger "trx;LogFileName=results.trx" \
    --filter "FullyQualifiedName!~StatsApi.Tests.StatementsOfTheRunTests"
  status=$?
  echo "Checking the statements the service ran for Citus."
  STATSAPI_TEST_STATEMENTS_CHECK="$statements" run_tests --logger "trx;LogFileName=statements.trx" \
    --filter "FullyQualifiedName~StatsApi.Tests.StatementsOfTheRunTests"
  check=$?
  [ "$status" -ne 0 ] || status=$check
else
  run_tests --logger "trx;LogFileName=results.trx" "$@"
  status=$?
fi
set -e

if [ -n "$(ls -A "$results/screenshots")" ]; then
  echo "Screenshots of the browser test: $results/screenshots/"
fi
if [ "$lint" -ne 0 ]; then
  echo "redocly lint found errors in openapi.yaml (see above)."
  [ "$status" -ne 0 ] || status=$lint
fi
trx=$(find "$results" -name '*.trx')
if [ -n "$trx" ]; then
  # shellcheck disable=SC2086 # one name a line, none with a space
  counters=$(grep -ho '<Counters [^>]*>' $trx)
  count() { echo "$counters" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*' | awk '{ n += $1 } END { print n + 0 }'; }
  # The end of the output is what a CI log shows first: name each failure there, with its message.
  perl -0777 -ne 'while (/<UnitTestResult [^>]*?testName="([^"]*)"[^>]*?outcome="Failed".*?(?:<Message>(.*?)<\/Message>|<\/UnitTestResult>)/gs) {
      my ($name, $message) = ($1, $2 // "");
      for ($name, $message) { s/&quot;/"/g; s/&apos;/\x27/g; s/&lt;/</g; s/&gt;/>/g; s/&amp;/&/g; }
      $message = substr($message, 0, 1500);
      print "FAILED $name\n  $message\n";
    }' $trx
  echo "$(count passed) passed, $(count failed) failed, $(count notExecuted) skipped"
fi
exit $status
