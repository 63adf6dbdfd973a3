#!/usr/bin/env bash
# The web console in a real headless Chromium (tests/browser, playwright-core from npm driving
# Debian's chromium). Installs what it needs; fails with a clear message when it cannot — the
# browser tests are never skipped. Screenshots land in target/screenshots/.
# Uses target/debug/chengyun (built by `cargo test`/`cargo build`), or CHENGYUN_BIN.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\n== %s\n' "$*"; }

apt_install() {
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null 2>&1 || {
      DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null; }
  else
    return 1
  fi
}

export CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$CHROMIUM" ]; then
  say "browser tests: installing Debian's chromium"
  apt_install chromium || { echo "ERROR: the browser tests need Chromium ($CHROMIUM): install Debian's 'chromium' package (needs root) or set CHROMIUM=/path/to/chromium." >&2; exit 1; }
fi
# Chinese text in screenshots needs a CJK font; the console itself uses the user's system fonts.
if ! fc-list :lang=zh 2>/dev/null | grep -q .; then
  say "browser tests: installing a CJK font (fonts-wqy-microhei)"
  apt_install fonts-wqy-microhei fontconfig || echo "WARNING: no CJK font: screenshots will show boxes instead of Chinese text." >&2
fi
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  say "browser tests: installing Node.js"
  apt_install nodejs npm || { echo "ERROR: the browser tests need Node.js and npm (install Debian's nodejs and npm)." >&2; exit 1; }
fi

export CHENGYUN_BIN="${CHENGYUN_BIN:-$PWD/target/debug/chengyun}"
if [ ! -x "$CHENGYUN_BIN" ]; then
  say "browser tests: building chengyun"
  cargo build --locked -p chengyun
fi

cd tests/browser
wanted=$(node -p 'require("./package.json").devDependencies["playwright-core"]')
have=$(node -p 'try { require("./node_modules/playwright-core/package.json").version } catch { "" }')
if [ "$wanted" != "$have" ]; then
  say "browser tests: npm ci (playwright-core; no browser download)"
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
fi
say "browser tests: Chromium $("$CHROMIUM" --version 2>/dev/null | grep -o '[0-9][0-9.]*' | head -1)"
node --test --test-concurrency=1 ./*.test.mjs
