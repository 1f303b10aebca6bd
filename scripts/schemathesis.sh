#!/usr/bin/env bash
# The API against its own OpenAPI document: starts the real server on a fresh
# database, seeds the demo department, makes an API token for a manager and
# runs schemathesis over every operation. Fails on any 500 and on any answer
# the document does not describe.
#
#   scripts/schemathesis.sh                  SQLite, then PostgreSQL
#   scripts/schemathesis.sh sqlite           one of them
#   scripts/schemathesis.sh postgresql
#
# Each run keeps its server log and reports (JUnit XML, and a pytest file that
# replays each failure) in var/schemathesis/<database>/.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=.venv/bin
# Issue 7 item 7: at least 50 examples for every operation, never fewer.
MAX_EXAMPLES=${SCHEMATHESIS_MAX_EXAMPLES:-50}
# The whole run of one database, and one request, are bounded: a hung request
# or a run gone astray fails CI instead of eating its 90 minutes.
RUN_TIMEOUT=${SCHEMATHESIS_TIMEOUT:-420}
REQUEST_TIMEOUT=${SCHEMATHESIS_REQUEST_TIMEOUT:-30}
PG_URL=${SCHEMATHESIS_PG_URL:-postgres://postgres@127.0.0.1:5432/aftersales_schemathesis}
# The after-sales department manager holds most of the API's permissions;
# operations this role may not use answer their documented 403. The second
# user (the customer service manager) only revokes tokens: see schemathesis.toml.
API_USER=${SCHEMATHESIS_USER:-chen.jing}
SECOND_USER=${SCHEMATHESIS_SECOND_USER:-wang.fang}
ROOT=$(pwd)

free_port() {
  "$BIN/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

run_one() {
  local db=$1 dir port server_pid rc=0
  dir="var/schemathesis/${db}"
  rm -rf "$dir"
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  # Its own var/ (SQLite file, uploads, task queue, secret key), so the run
  # neither reads nor disturbs a developer's database.
  export AFTERSALES_VAR_DIR="$dir/var"
  if [ "$db" = postgresql ]; then
    export DATABASE_URL="$PG_URL"
    local name=${PG_URL##*/} server=${PG_URL%/*}
    # A fresh database every run: what the last run created must not decide
    # what this one finds.
    psql "$server/postgres" -q -v ON_ERROR_STOP=1 \
      -c "DROP DATABASE IF EXISTS \"$name\" WITH (FORCE)" \
      -c "CREATE DATABASE \"$name\""
  else
    unset DATABASE_URL
  fi
  "$BIN/aftersales" migrate --no-input -v 0
  "$BIN/aftersales" seed --demo --if-empty > "$dir/seed.log"
  SCHEMATHESIS_TOKEN=$("$BIN/aftersales" apitoken --user "$API_USER" --name schemathesis)
  SCHEMATHESIS_SECOND_TOKEN=$("$BIN/aftersales" apitoken --user "$SECOND_USER" --name schemathesis)
  export SCHEMATHESIS_TOKEN SCHEMATHESIS_SECOND_TOKEN

  port=$(free_port)
  # The background worker stays off: nothing is mailed, and tasks wait in the queue.
  "$BIN/aftersales" serve --bind "127.0.0.1:${port}" --no-worker > "$dir/server.log" 2>&1 &
  server_pid=$!
  # shellcheck disable=SC2064 # the pid is fixed now
  trap "kill $server_pid 2>/dev/null || true" EXIT
  local tries=0
  until curl -fs -o /dev/null "http://127.0.0.1:${port}/healthz"; do
    tries=$((tries + 1))
    if [ "$tries" -gt 100 ] || ! kill -0 "$server_pid" 2>/dev/null; then
      echo "schemathesis (${db}): the server did not start; its log:" >&2
      cat "$dir/server.log" >&2
      return 1
    fi
    sleep 0.2
  done

  # --checks all: every check schemathesis has; none is excluded. Run from the
  # run's folder, where schemathesis keeps its own files.
  (
    cd "$dir"
    timeout --kill-after=10 "$RUN_TIMEOUT" "$ROOT/$BIN/schemathesis" \
      --config-file "$ROOT/scripts/schemathesis.toml" run \
      "http://127.0.0.1:${port}/api/v1/openapi.json" \
      --checks all \
      --max-examples "$MAX_EXAMPLES" \
      --request-timeout "$REQUEST_TIMEOUT" \
      --seed "${SCHEMATHESIS_SEED:-7}" \
      --generation-database none \
      --report junit,pytest \
      --report-dir report \
      --no-color
  ) || rc=$?

  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  trap - EXIT
  if [ "$rc" -ne 0 ]; then
    echo "schemathesis (${db}): failed (exit ${rc}); server log: ${dir}/server.log" >&2
    grep -E '"level": "ERROR"|Traceback' "$dir/server.log" | tail -n 20 >&2 || true
  fi
  return "$rc"
}

dbs=("$@")
[ ${#dbs[@]} -gt 0 ] || dbs=(sqlite postgresql)
for db in "${dbs[@]}"; do
  case "$db" in
    sqlite | postgresql) ;;
    *) echo "usage: $0 [sqlite] [postgresql]" >&2; exit 2 ;;
  esac
done
# The databases run side by side, one per core, each with its own server and
# log; a log is shown whole when its run failed, its summary when it passed.
mkdir -p var/schemathesis
declare -A pids=()
start=$SECONDS
for db in "${dbs[@]}"; do
  ( run_one "$db" ) > "var/schemathesis/${db}.log" 2>&1 &
  pids[$db]=$!
done
status=0
for db in "${dbs[@]}"; do
  rc=0
  wait "${pids[$db]}" || rc=$?
  echo "::: schemathesis (${db}): exit ${rc} after $((SECONDS - start)) s"
  if [ "$rc" -eq 0 ]; then
    tail -n 30 "var/schemathesis/${db}.log"
  else
    cat "var/schemathesis/${db}.log"
    status=1
  fi
done
exit "$status"
