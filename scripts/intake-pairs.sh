#!/usr/bin/env bash
# Paired intake runs: two builds of chengyun, alternating, at one steady pace — for changes
# whose effect is smaller than the machine's drift between runs (docs/benchmarks.md).
#
#   bash scripts/intake-pairs.sh DIR_A DIR_B            # DIR_*: folders with `chengyun` and `intake`
#   RATE=4000 PAIRS=5 DURATION=15 bash scripts/intake-pairs.sh /tmp/main target/release
#
# Each run: a fresh SQLite file, `chengyun serve --demo`, an Open311 API key, then
# `intake --body open311 --rate RATE` over 256 connections (open loop, latency counted from when
# each report was due). LOG=warn,chengyun_storage=trace keeps each server's timing events in
# target/intake-pairs/<label>-<pair>.log (summed by scripts/intake-batches.py).
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -eq 2 ] || { echo "usage: $0 DIR_A DIR_B" >&2; exit 2; }
RATE=${RATE:-5000}
PAIRS=${PAIRS:-3}
DURATION=${DURATION:-15}
PORT=${PORT:-18090}
OUT="$PWD/target/intake-pairs"
mkdir -p "$OUT"
export CHENGYUN_OPEN311_RATE_PER_MINUTE=1000000000

# shellcheck source=lib/bench-server.sh
source scripts/lib/bench-server.sh

run() {
  local dir=$1 label=$2 db="$OUT/pair.db"
  rm -f "$db" "$db"-*
  if curl -fsS -o /dev/null "http://127.0.0.1:$PORT/healthz" 2>/dev/null; then
    echo "ERROR: something already listens on port $PORT" >&2
    exit 1
  fi
  CHENGYUN_LOG=${LOG:-warn} "$dir/chengyun" --database-url "sqlite://$db" serve --demo --listen "127.0.0.1:$PORT" >"$OUT/$label.log" 2>&1 &
  SERVER_PID=$!
  wait_for "http://127.0.0.1:$PORT/healthz"
  local key
  key=$("$dir/chengyun" --database-url "sqlite://$db" apikey create --name pairs --jurisdiction 310115137 | tail -1)
  "$dir/intake" --url "http://127.0.0.1:$PORT/open311/v2/requests.json" --body open311 "--api-key=$key" \
    --concurrency 256 --rate "$RATE" --duration "$DURATION" --warmup 3 --server-pid "$SERVER_PID" --label "$label" | sed -n 1p
  stop_server
}

for pair in $(seq 1 "$PAIRS"); do
  machine
  run "$1" "A-$pair"
  run "$2" "B-$pair"
done
