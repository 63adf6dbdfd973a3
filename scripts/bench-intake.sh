#!/usr/bin/env bash
# The intake benchmark of docs/benchmarks.md: reports posted by N concurrent connections on
# loopback for a fixed time, to chengyun on SQLite, chengyun on PostgreSQL, and — in the same
# run, same generator, same concurrency — the peer baisitong2 (PyPI), installed into a
# virtualenv under target/.
#
#   bash scripts/bench-intake.sh
#   CONCURRENCY=64 DURATION=20 TARGET=open311 bash scripts/bench-intake.sh
#
# PostgreSQL runs twice: one transaction per request (the default) and with
# `serve --group-commit-postgres`.
# Then chengyun on SQLite again at fixed paces (open loop, RATES reports/s due, over
# OPEN_CONNECTIONS connections): the latency at a given load rather than at top speed, counted
# from when each report was due.
# TARGET: `rest` (POST /api/v1/cases, bearer token) or `open311` (POST
# /open311/v2/requests.json with an API key made by `chengyun apikey create`).
# BENCH_POSTGRES (default postgres://postgres@127.0.0.1:5432) is the server where the database
# chengyun_bench_intake is (re)created.
set -euo pipefail
cd "$(dirname "$0")/.."
CONCURRENCY=${CONCURRENCY:-64}
DURATION=${DURATION:-20}
WARMUP=${WARMUP:-3}
TARGET=${TARGET:-rest}
RATES=${RATES:-3000 4000 5000}
OPEN_CONNECTIONS=${OPEN_CONNECTIONS:-256}
PG=${BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432}
PORT=${PORT:-18080}
PEER_PORT=${PEER_PORT:-18081}
DIR="$PWD/target/bench-intake"
VENV="$PWD/target/bench-venv"
BIN=./target/release
# A benchmark measures intake, not the per-key rate limit (60 writes a minute by default).
[ "$TARGET" = open311 ] && export CHENGYUN_OPEN311_RATE_PER_MINUTE=1000000000

cargo build --release -p chengyun -p chengyun-bench
rm -rf "$DIR"
mkdir -p "$DIR"

# shellcheck source=lib/bench-server.sh
source scripts/lib/bench-server.sh

bench_chengyun() {
  local url=$1 label=$2 load=(--concurrency "$CONCURRENCY")
  shift 2
  if [ "${1:-}" = --rate ]; then
    load=(--concurrency "$OPEN_CONNECTIONS" --rate "$2")
    shift 2
  fi
  CHENGYUN_LOG=warn "$BIN/chengyun" --database-url "$url" serve --demo --listen "127.0.0.1:$PORT" "$@" >"$DIR/$label.log" 2>&1 &
  SERVER_PID=$!
  wait_for "http://127.0.0.1:$PORT/healthz"
  local args
  if [ "$TARGET" = open311 ]; then
    local key
    key=$("$BIN/chengyun" --database-url "$url" apikey create --name bench --jurisdiction 310115137 | tail -1)
    args=(--url "http://127.0.0.1:$PORT/open311/v2/requests.json" --body open311 "--api-key=$key")
  else
    local token
    token=$(curl -fsS -X POST "http://127.0.0.1:$PORT/api/v1/auth/login" -H 'content-type: application/json' \
      -d '{"username":"operator","password":"chengyun-demo"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
    args=(--url "http://127.0.0.1:$PORT/api/v1/cases" --body chengyun "--token=$token")
  fi
  machine
  "$BIN/intake" "${args[@]}" "${load[@]}" --duration "$DURATION" --warmup "$WARMUP" \
    --server-pid "$SERVER_PID" --label "chengyun $label ($TARGET)"
  stop_server
}

echo "== chengyun on SQLite"
bench_chengyun "sqlite://$DIR/chengyun.db" sqlite
echo "   cases stored: $(python3 - "$DIR/chengyun.db" <<'EOF'
import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute("select count(*) from cases").fetchone()[0])
EOF
)"

echo "== chengyun on PostgreSQL, one transaction per request (the default)"
psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS chengyun_bench_intake" -c "CREATE DATABASE chengyun_bench_intake"
bench_chengyun "$PG/chengyun_bench_intake" postgres
echo "   cases stored: $(psql "$PG/chengyun_bench_intake" -qAtc 'select count(*) from cases')"

echo "== chengyun on PostgreSQL, group commit per instance (serve --group-commit-postgres)"
psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS chengyun_bench_intake" -c "CREATE DATABASE chengyun_bench_intake"
bench_chengyun "$PG/chengyun_bench_intake" postgres-group --group-commit-postgres
echo "   cases stored: $(psql "$PG/chengyun_bench_intake" -qAtc 'select count(*) from cases')"

echo "== baisitong2 (PyPI) on SQLite"
if [ ! -x "$VENV/bin/baisitong2" ]; then
  rm -rf "$VENV"
  if ! { python3 -m venv "$VENV" && "$VENV/bin/pip" install -q --disable-pip-version-check baisitong2; }; then
    echo "ERROR: cannot install baisitong2 into $VENV (needs python3 with venv and access to PyPI)" >&2
    exit 1
  fi
fi
echo "   $("$VENV/bin/pip" show baisitong2 | grep -E '^(Name|Version)' | tr '\n' ' ')"
"$VENV/bin/baisitong2" --host 127.0.0.1 --port "$PEER_PORT" --db "sqlite:///$DIR/baisitong2.db" >"$DIR/baisitong2.log" 2>&1 &
SERVER_PID=$!
wait_for "http://127.0.0.1:$PEER_PORT/api/stats"
machine
"$BIN/intake" --url "http://127.0.0.1:$PEER_PORT/api/appeals" --body baisitong2 --concurrency "$CONCURRENCY" \
  --duration "$DURATION" --warmup "$WARMUP" --server-pid "$SERVER_PID" --label "baisitong2 sqlite"
stop_server

for rate in $RATES; do
  echo "== chengyun on SQLite at $rate reports/s due (open loop)"
  rm -f "$DIR"/chengyun-paced.db*
  bench_chengyun "sqlite://$DIR/chengyun-paced.db" "sqlite-$rate" --rate "$rate"
done
