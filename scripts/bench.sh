#!/usr/bin/env bash
# The benchmark of docs/benchmarks.md: fills a SQLite and a PostgreSQL database with N generated
# cases (`chengyun demo --history N`) and measures the case list and case detail over HTTP on
# both with `chengyun-bench`.
#
#   bash scripts/bench.sh [N]              # N defaults to 1000000
#   SKIP_FILL=1 bash scripts/bench.sh      # measure databases filled earlier
#
# BENCH_DIR (default ./bench-data) holds the SQLite file; BENCH_POSTGRES (default
# postgres://postgres@127.0.0.1:5432) is the server where database chengyun_bench is (re)created.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
DIR=${BENCH_DIR:-./bench-data}
PG=${BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432}
REQUESTS=${REQUESTS:-300}

cargo build --release -p chengyun -p chengyun-bench
BIN=./target/release
mkdir -p "$DIR"
if [ "${SKIP_FILL:-0}" != 1 ]; then
  rm -f "$DIR"/bench.db*
  echo "== filling SQLite with $N cases"
  /usr/bin/time -f "wall %e s, peak RSS %M KB" "$BIN/chengyun" --database-url "sqlite://$DIR/bench.db" demo --history "$N"
  psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS chengyun_bench" -c "CREATE DATABASE chengyun_bench"
  echo "== filling PostgreSQL with $N cases"
  /usr/bin/time -f "wall %e s, peak RSS %M KB" "$BIN/chengyun" --database-url "$PG/chengyun_bench" demo --history "$N"
fi
"$BIN/chengyun" --database-url "sqlite://$DIR/bench.db" migrate
"$BIN/chengyun" --database-url "$PG/chengyun_bench" migrate
psql "$PG/chengyun_bench" -qc "VACUUM (ANALYZE)"
echo "== SQLite ($(du -h "$DIR/bench.db" | cut -f1))"
"$BIN/chengyun-bench" --database-url "sqlite://$DIR/bench.db" --requests "$REQUESTS"
echo "== PostgreSQL ($(psql "$PG/chengyun_bench" -qAtc "select pg_size_pretty(pg_database_size('chengyun_bench'))"))"
"$BIN/chengyun-bench" --database-url "$PG/chengyun_bench" --requests "$REQUESTS"
