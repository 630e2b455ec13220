#!/usr/bin/env bash
# The web app's browser tests: Debian's Chromium driven by playwright-core against a real
# `anju demo` — the full suite on SQLite, a smoke subset on PostgreSQL when
# ANJU_TEST_PG_URL names a server. Installs chromium (and CJK fonts, so screenshots show
# Chinese) from Debian's packages when missing; never downloads a browser of its own.
# Screenshots land in web/e2e/screenshots/, figures in web/e2e/.tmp/figures.json.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -d /usr/share/fonts/opentype/noto ] || need+=(fonts-noto-cjk)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing ${need[*]} from Debian's packages…" >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >&2
fi

export ANJU_BIN=${ANJU_BIN:-${CARGO_TARGET_DIR:-target}/debug/anju}
[ -x "$ANJU_BIN" ] || { echo "no $ANJU_BIN: build it after the web app (cargo build -p anju-cli)" >&2; exit 1; }
ANJU_BIN=$(realpath "$ANJU_BIN")
rm -rf web/e2e/screenshots
cd web
node --test --test-concurrency=1 e2e/app.test.mjs

if [ -n "${ANJU_TEST_PG_URL:-}" ]; then
  db=anju_web_e2e
  psql "$ANJU_TEST_PG_URL" -qc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null 2>&1
  pg_url="${ANJU_TEST_PG_URL%/*}/$db"
  echo "browser smoke tests on PostgreSQL ($pg_url)"
  # Screenshots of this run go elsewhere so the SQLite ones stay as the record.
  ANJU_E2E_DB="$pg_url" ANJU_E2E_SCREENSHOTS=screenshots-pg node --test --test-concurrency=1 \
    --test-name-pattern="village user|drills down|validation errors|district assigns|offline|assess a house" e2e/app.test.mjs
  psql "$ANJU_TEST_PG_URL" -qc "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true
fi
