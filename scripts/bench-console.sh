#!/usr/bin/env bash
# The console's figures of docs/benchmarks.md (issue #5) on a database filled by
# `chengyun demo --history N` (scripts/bench.sh makes one): time to first render and transferred
# weight of the 大屏, a workbench and a case page in headless Chromium (tests/browser/measure.mjs).
# The server time of the same pages' requests is measured by chengyun-bench (scenarios
# "console: …", run by scripts/bench.sh).
#
#   bash scripts/bench-console.sh [DATABASE_URL]   # default sqlite://./bench-data/bench.db
set -euo pipefail
cd "$(dirname "$0")/.."
URL=${1:-sqlite://${BENCH_DIR:-./bench-data}/bench.db}
PORT=${PORT:-18080}
BIN=${CHENGYUN_BIN:-./target/release/chengyun}
[ -x "$BIN" ] || cargo build --release -p chengyun
export CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
[ -x "$CHROMIUM" ] || { echo "ERROR: needs Chromium ($CHROMIUM); bash scripts/browser-test.sh installs it" >&2; exit 1; }
[ -d tests/browser/node_modules/playwright-core ] || (cd tests/browser && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)

CHENGYUN_LOG=warn "$BIN" --database-url "$URL" serve --listen "127.0.0.1:$PORT" &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$PORT/login" >/dev/null && break; sleep 1; done
# An open case of 航头镇 that the operator may see, as a queue would show it.
token=$(curl -sf "http://127.0.0.1:$PORT/api/v1/auth/login" -H 'Content-Type: application/json' \
  -d '{"username":"operator","password":"chengyun-demo"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
CASE_ID=$(curl -sf "http://127.0.0.1:$PORT/api/v1/cases?status=dispatched&sort=urgency&page_size=1" -H "Authorization: Bearer $token" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["id"])')
echo "database: $URL   case page: /cases/$CASE_ID"
cd tests/browser
BASE="http://127.0.0.1:$PORT" CASE_ID="$CASE_ID" RUNS="${RUNS:-5}" node measure.mjs
