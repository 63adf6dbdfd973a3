#!/usr/bin/env bash
# Runs chengyun's whole test suite: the domain (unit and property tests), the store and the HTTP
# API against the real server on BOTH SQLite and PostgreSQL, the CLI, and the web console in a
# real headless Chromium (scripts/browser-test.sh).
#
# PostgreSQL is required, never skipped. The script uses CHENGYUN_TEST_POSTGRES_URL if set, else
# a server on 127.0.0.1:5432; if none answers it starts an installed cluster, or installs
# PostgreSQL from Debian's packages (needs root), and fails with a clear message otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\n== %s\n' "$*"; }

pg_up() { pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; }

ensure_postgres() {
  if [ -n "${CHENGYUN_TEST_POSTGRES_URL:-}" ]; then
    say "PostgreSQL: using CHENGYUN_TEST_POSTGRES_URL"
    return
  fi
  export CHENGYUN_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:5432/postgres"
  if command -v pg_isready >/dev/null && pg_up; then
    say "PostgreSQL: running on 127.0.0.1:5432"
    return
  fi
  if ! command -v pg_ctlcluster >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      say "PostgreSQL: installing from Debian's packages"
      DEBIAN_FRONTEND=noninteractive apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    else
      echo "ERROR: PostgreSQL is required by the test suite but is neither running nor installable here." >&2
      echo "       Install PostgreSQL, or set CHENGYUN_TEST_POSTGRES_URL=postgres://USER:PASS@HOST:PORT/postgres" >&2
      exit 1
    fi
  fi
  version=$(ls /etc/postgresql | sort -n | tail -1)
  say "PostgreSQL: starting cluster $version/main"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 1 30); do pg_up && break; sleep 1; done
  if ! pg_up; then
    echo "ERROR: PostgreSQL $version did not start on 127.0.0.1:5432." >&2
    exit 1
  fi
  # A fresh Debian cluster asks for a password over TCP: give the test role one.
  if ! psql "$CHENGYUN_TEST_POSTGRES_URL" -qAtc 'select 1' >/dev/null 2>&1; then
    su postgres -c "psql -qc \"ALTER USER postgres PASSWORD 'chengyun-test'\"" >/dev/null
    export CHENGYUN_TEST_POSTGRES_URL="postgres://postgres:chengyun-test@127.0.0.1:5432/postgres"
  fi
}

ensure_postgres
if command -v psql >/dev/null && ! psql "$CHENGYUN_TEST_POSTGRES_URL" -qAtc 'select 1' >/dev/null 2>&1; then
  echo "ERROR: cannot log in to PostgreSQL with CHENGYUN_TEST_POSTGRES_URL; the PostgreSQL tests cannot run." >&2
  exit 1
fi

# Every test makes a fresh database; remove them when the run ends, however it ends.
cleanup() {
  rm -rf "${TMPDIR:-/tmp}/chengyun-tests"
  if command -v psql >/dev/null; then
    for db in $(psql "$CHENGYUN_TEST_POSTGRES_URL" -qAtc "select datname from pg_database where datname like 'chengyun_test_%'" 2>/dev/null); do
      psql "$CHENGYUN_TEST_POSTGRES_URL" -qc "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true
    done
  fi
}
cleanup
trap cleanup EXIT

# One virtualenv under target/, made once and reused, for the tests that use Python packages:
# shapely (the point → grid index is checked against it, crates/places/tests/shapely_agreement.rs)
# and the Open311 clients civicbot and georeport (crates/http/tests/api/open311_clients.rs), at
# the versions whose source those tests were written against.
TEST_VENV_PACKAGES="shapely civicbot==0.4.0 georeport==0.3.1"
TEST_VENV_IMPORTS="import shapely, civicbot, georeport"
ensure_test_venv() {
  local venv="$PWD/target/test-venv"
  if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c "$TEST_VENV_IMPORTS" 2>/dev/null; then
    say "test virtualenv: using $venv"
  else
    say "test virtualenv: creating $venv ($TEST_VENV_PACKAGES)"
    if ! python3 -c 'import venv, ensurepip' 2>/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      DEBIAN_FRONTEND=noninteractive apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-venv >/dev/null
    fi
    rm -rf "$venv"
    # shellcheck disable=SC2086
    if ! { python3 -m venv "$venv" && "$venv/bin/pip" install -q --disable-pip-version-check $TEST_VENV_PACKAGES \
           && "$venv/bin/python" -c "$TEST_VENV_IMPORTS"; }; then
      echo "ERROR: cannot create $venv with $TEST_VENV_PACKAGES." >&2
      echo "       The shapely agreement test and the Open311 client test need them: python3 with the venv" >&2
      echo "       module and access to PyPI (pip install $TEST_VENV_PACKAGES)." >&2
      exit 1
    fi
  fi
  export CHENGYUN_TEST_PYTHON="$venv/bin/python"
}
ensure_test_venv

# Real open data (Shanghai boundaries, division codes) is kept beside the project, not in it:
# ../shared/data from the project root, as its README asks.
ensure_shared_data() {
  if [ -z "${CHENGYUN_SHARED_DATA:-}" ]; then
    # Beside the project; a clone elsewhere looks in its ancestors, then the workplace's copy.
    local dir="$PWD"
    CHENGYUN_SHARED_DATA="$(cd .. && pwd)/shared/data"
    while [ "$dir" != / ] && [ ! -d "$CHENGYUN_SHARED_DATA/geo" ]; do
      dir="$(dirname "$dir")"
      CHENGYUN_SHARED_DATA="$dir/shared/data"
    done
    [ -d "$CHENGYUN_SHARED_DATA/geo" ] || CHENGYUN_SHARED_DATA=/work/shared/data
  fi
  if [ ! -f "$CHENGYUN_SHARED_DATA/geo/shanghai_osm_towns_wgs84.geojson" ]; then
    echo "ERROR: the shared open data is missing at $CHENGYUN_SHARED_DATA (expected ../shared/data" >&2
    echo "       beside the project, with geo/ and divisions/). Set CHENGYUN_SHARED_DATA to its folder." >&2
    exit 1
  fi
  export CHENGYUN_SHARED_DATA
  say "shared data: $CHENGYUN_SHARED_DATA"
}
ensure_shared_data

say "Building and running all tests (SQLite and PostgreSQL)"
cargo test --workspace --locked --no-fail-fast

say "Web console in headless Chromium"
bash scripts/browser-test.sh

say "All tests passed"
