#!/usr/bin/env bash
# The benchmark of docs/benchmarks.md: fills a SQLite and a PostgreSQL database with N generated
# cases (`chengyun demo --history N`) and measures the case list, full-text search, the console's
# requests (workbench queues, case page, 大屏) and case
# detail over HTTP on both with `chengyun-bench`.
#
#   bash scripts/bench.sh [N]              # N defaults to 1000000
#   SKIP_FILL=1 bash scripts/bench.sh      # measure databases filled earlier
#   ONLY=search bash scripts/bench.sh      # only the scenarios whose name starts with "search"
#
# BENCH_DIR (default ./bench-data) holds the SQLite file; BENCH_POSTGRES (default
# postgres://postgres@127.0.0.1:5432) is the server where database BENCH_DB (default
# chengyun_bench) is (re)created.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
DIR=${BENCH_DIR:-./bench-data}
PG=${BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432}
DB=${BENCH_DB:-chengyun_bench}
REQUESTS=${REQUESTS:-300}
ONLY=(${ONLY:+--only "$ONLY"})

cargo build --release -p chengyun -p chengyun-bench
BIN=./target/release
mkdir -p "$DIR"
if [ "${SKIP_FILL:-0}" != 1 ]; then
  rm -f "$DIR"/bench.db*
  echo "== filling SQLite with $N cases"
  /usr/bin/time -f "wall %e s, peak RSS %M KB" "$BIN/chengyun" --database-url "sqlite://$DIR/bench.db" demo --history "$N"
  psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
  echo "== filling PostgreSQL with $N cases"
  /usr/bin/time -f "wall %e s, peak RSS %M KB" "$BIN/chengyun" --database-url "$PG/$DB" demo --history "$N"
fi
# Databases filled before the search index existed are indexed first (`migrate` asks for it).
for url in "sqlite://$DIR/bench.db" "$PG/$DB"; do
  if "$BIN/chengyun" --database-url "$url" migrate | grep -q "chengyun reindex"; then
    "$BIN/chengyun" --database-url "$url" reindex
  fi
done
psql "$PG/$DB" -qc "VACUUM (ANALYZE)"
echo "== SQLite ($(du -h "$DIR/bench.db" | cut -f1))"
"$BIN/chengyun-bench" --database-url "sqlite://$DIR/bench.db" --requests "$REQUESTS" "${ONLY[@]}"
echo "== PostgreSQL ($(psql "$PG/$DB" -qAtc "select pg_size_pretty(pg_database_size('$DB'))"))"
"$BIN/chengyun-bench" --database-url "$PG/$DB" --requests "$REQUESTS" "${ONLY[@]}"
