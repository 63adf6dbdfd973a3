#!/usr/bin/env bash
# The "Locate (point → grid)" benchmark of docs/benchmarks.md: chengyun's point → grid index
# against shapely (STRtree) and PostGIS (ST_Contains over a GiST index), on the same synthetic
# city grid and the same random points, each on one thread / one backend.
#
#   bash scripts/bench-locate.sh [CELLS] [POINTS]     # defaults: 40625 cells, 1000000 points
#
# OUT (default target/bench-locate) receives cells.tsv, points.csv and each side's figures as
# JSON; the shapely virtualenv is target/bench-venv; BENCH_POSTGRES (default
# postgres://postgres@127.0.0.1:5432) is the server where database chengyun_locate_bench is
# (re)created. PostGIS is installed from Debian's packages if missing (needs root).
set -euo pipefail
cd "$(dirname "$0")/.."
CELLS=${1:-40625}
POINTS=${2:-1000000}
OUT=${OUT:-target/bench-locate}
PG=${BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432}
DB=chengyun_locate_bench
PASSES=${PASSES:-5}
PG_PASSES=${PG_PASSES:-3}

say() { printf '\n== %s\n' "$*"; }

say "chengyun: building and running target/release/locate"
cargo build --release -p chengyun-bench --bin locate
./target/release/locate --cells "$CELLS" --points "$POINTS" --passes "$PASSES" --out "$OUT"

# The same index on smaller cities (a township has hundreds to a few thousand grids).
for n in ${SCALING:-1000 5000 10000 20000}; do
  printf '%6d cells: ' "$n"
  ./target/release/locate --cells "$n" --points "$POINTS" --passes "$PASSES" --out "$OUT/scaling" | grep '^locate'
done
rm -rf "$OUT/scaling"

say "shapely: STRtree in target/bench-venv"
VENV=$PWD/target/bench-venv
if ! { [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c 'import shapely' 2>/dev/null; }; then
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check shapely
fi
"$VENV/bin/python" scripts/locate_peer_shapely.py bench "$OUT/cells.tsv" "$OUT/points.csv" "$OUT/shapely.json" --passes "$PASSES"

say "PostGIS: ST_Contains with a GiST index, one backend"
PGMAJOR=$(psql "$PG/postgres" -qAtc "show server_version_num" | cut -c1-2)
if [ ! -f "/usr/share/postgresql/$PGMAJOR/extension/postgis.control" ]; then
  echo "installing postgresql-$PGMAJOR-postgis-3"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "postgresql-$PGMAJOR-postgis-3" >/dev/null
fi
psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
psql "$PG/$DB" -v ON_ERROR_STOP=1 -q <<SQL
CREATE EXTENSION postgis;
CREATE TABLE cells_in (code text, geojson text);
\copy cells_in FROM '$OUT/cells.tsv'
CREATE TABLE cells AS
  SELECT code, ST_SetSRID(ST_GeomFromGeoJSON(geojson), 4326)::geometry(MultiPolygon, 4326) AS geom FROM cells_in;
CREATE TABLE points_in (lon float8, lat float8);
\copy points_in FROM '$OUT/points.csv' WITH (FORMAT csv, HEADER)
CREATE TABLE points AS
  SELECT row_number() OVER () AS id, ST_SetSRID(ST_MakePoint(lon, lat), 4326) AS geom FROM points_in;
DROP TABLE cells_in, points_in;
SQL
# The index build, timed on the server.
BUILD_MS=$(psql "$PG/$DB" -qAt -v ON_ERROR_STOP=1 <<'SQL'
CREATE FUNCTION pg_temp.build_ms() RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz := clock_timestamp();
BEGIN
  CREATE INDEX cells_geom ON cells USING gist (geom);
  RETURN extract(epoch FROM clock_timestamp() - t0) * 1000;
END $$;
SELECT pg_temp.build_ms();
SQL
)
psql "$PG/$DB" -qc "VACUUM ANALYZE cells" -c "VACUUM ANALYZE points"

# Locate every point, two ways; the faster one is PostGIS's figure:
#   lateral  the smallest code among the cells containing the point, as the index answers;
#   join     a plain join counting (point, cell) pairs (the same number here: cells do not overlap).
QUERY_lateral="SELECT count(c.code) FROM points p LEFT JOIN LATERAL (
  SELECT code FROM cells c WHERE ST_Contains(c.geom, p.geom) ORDER BY code LIMIT 1) c ON true"
QUERY_join="SELECT count(*) FROM points p JOIN cells c ON ST_Contains(c.geom, p.geom)"
# One backend: no parallel workers. A first run warms the caches and counts the hits; each
# timed run is the server's own "Execution Time" of EXPLAIN ANALYZE (per-node timing off), and
# the backend's on-CPU time from /proc/<pid>/schedstat around it.
HITS=$(psql "$PG/$DB" -qAt -v ON_ERROR_STOP=1 -c "SET max_parallel_workers_per_gather = 0" -c "$QUERY_lateral")
RUNS=""
for _ in $(seq "$PG_PASSES"); do
  for variant in lateral join; do
    query_var="QUERY_$variant"
    RUN=$(psql "$PG/$DB" -qAt -v ON_ERROR_STOP=1 <<SQL
SET max_parallel_workers_per_gather = 0;
SELECT 'before ' || pg_read_file('/proc/' || pg_backend_pid() || '/schedstat');
EXPLAIN (ANALYZE, TIMING OFF, COSTS OFF) ${!query_var};
SELECT 'after ' || pg_read_file('/proc/' || pg_backend_pid() || '/schedstat');
SQL
    )
    EXEC_MS=$(echo "$RUN" | awk '/Execution Time/ {print $3}')
    CPU_MS=$(echo "$RUN" | awk '/^before/ {b=$2} /^after/ {a=$2} END {printf "%.1f", (a-b)/1e6}')
    echo "PostGIS $variant: execution $EXEC_MS ms, backend on CPU $CPU_MS ms"
    RUNS="$RUNS $variant:$EXEC_MS:$CPU_MS"
  done
done
SIZES=$(psql "$PG/$DB" -qAt -c "SELECT pg_total_relation_size('cells') || ' ' || pg_relation_size('cells_geom') || ' ' || postgis_lib_version() || ' ' || current_setting('server_version')")
echo "PostGIS: $HITS of $POINTS points in a cell; GiST build $BUILD_MS ms; cells table + index $SIZES"
"$VENV/bin/python" - "$OUT/postgis.json" "$POINTS" "$HITS" "$BUILD_MS" "$SIZES" $RUNS <<'PY'
import json, statistics, sys
out, points, hits, build_ms, sizes, *runs = sys.argv[1:]
total, index, postgis, server = sizes.split()[:4]
variants = {}
for run in runs:
    name, exec_ms, cpu_ms = run.split(":")
    v = variants.setdefault(name, {"execution_ms": [], "backend_cpu_ms": []})
    v["execution_ms"].append(float(exec_ms))
    v["backend_cpu_ms"].append(float(cpu_ms))
for v in variants.values():
    v["locate_per_s"] = int(points) / (statistics.median(v["execution_ms"]) / 1000)
    cpu = statistics.median(v["backend_cpu_ms"])
    v["locate_per_cpu_s"] = int(points) / (cpu / 1000) if cpu > 0 else None
best = max(variants, key=lambda k: variants[k]["locate_per_s"])
json.dump({
    "points": int(points), "hits": int(hits), "build_s": float(build_ms) / 1000,
    "variants": variants, "best": best,
    "locate_per_s": variants[best]["locate_per_s"], "locate_per_cpu_s": variants[best]["locate_per_cpu_s"],
    "table_and_index_bytes": int(total), "index_bytes": int(index),
    "postgis": postgis, "postgres": server,
}, open(out, "w"), indent=2)
PY

say "Summary ($CELLS cells, $POINTS points, one thread / one backend each)"
"$VENV/bin/python" - "$OUT" <<'PY'
import json, os, sys
d = sys.argv[1]
ours, sh, pg = (json.load(open(os.path.join(d, f))) for f in ("ours.json", "shapely.json", "postgis.json"))
mib = lambda b: f"{b / 1048576:.1f} MiB"
rows = [
    ("chengyun LocateIndex", ours["locate_per_s"], ours["hits"], f"{ours['build_s']:.3f} s",
     f"heap {mib(ours['heap_bytes'])}, RSS +{mib((ours['rss_after_build_kb'] - ours['rss_before_build_kb']) * 1024)} at build"),
    (f"shapely {sh['shapely']} STRtree ({sh['best']})", sh["locate_per_s"], sh["hits"],
     f"{sh['build_s']:.3f} s (+{sh['prepare_s']:.3f} s prepare)", f"process RSS {mib(sh['rss_after_build_kb'] * 1024)}"),
    (f"PostGIS {pg['postgis']} ST_Contains + GiST ({pg['best']})", pg["locate_per_s"], pg["hits"], f"{pg['build_s']:.3f} s",
     f"table + index {mib(pg['table_and_index_bytes'])} (index {mib(pg['index_bytes'])})"),
]
print("| implementation | locates/s | ours ÷ it | points in a cell | index build | memory |")
print("|---|---:|---:|---:|---:|---|")
for name, rate, hits, build, mem in rows:
    print(f"| {name} | {rate:,.0f} | {ours['locate_per_s'] / rate:.1f}× | {hits} | {build} | {mem} |")
cpu = [("chengyun", ours.get("locate_per_cpu_s")), ("shapely", sh.get("locate_per_cpu_s")),
       ("PostGIS backend", pg.get("locate_per_cpu_s"))]
print("\nper on-CPU second (excludes time the thread waited for a core): " +
      ", ".join(f"{n} {v:,.0f}/s" for n, v in cpu if v))
for name, v in pg["variants"].items():
    print(f"PostGIS variant {name}: {v['locate_per_s']:,.0f}/s; ours ÷ it {ours['locate_per_s'] / v['locate_per_s']:.1f}×")
for name, v in sh["variants"].items():
    print(f"shapely variant {name}: {v['locate_per_s']:,.0f}/s ({v['locate_per_cpu_s']:,.0f} per CPU-second), "
          f"{v['hits']} of {v['points']} points in a cell; ours ÷ it {ours['locate_per_s'] / v['locate_per_s']:.1f}×")
PY
