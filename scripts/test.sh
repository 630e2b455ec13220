#!/usr/bin/env bash
# The whole test suite: the web app (unit tests, type check, build), formatting, lints,
# every Rust test on both backends, then the browser tests against the built binary.
# Starts its own PostgreSQL on loopback (installing Debian's package if needed).
# Each phase is timed; the run fails if it passes ANJU_TEST_BUDGET_MIN (default 60).
set -euo pipefail
cd "$(dirname "$0")/.."
budget_s=$(( ${ANJU_TEST_BUDGET_MIN:-60} * 60 ))
start=$(date +%s)
phase() {
  local name=$1; shift
  local t0; t0=$(date +%s)
  echo "==> $name"
  "$@"
  local t1; t1=$(date +%s)
  echo "==> $name: $((t1 - t0)) s (total $((t1 - start)) s)"
  if [ $((t1 - start)) -gt "$budget_s" ]; then
    echo "test run exceeded its budget of $budget_s s" >&2
    exit 1
  fi
}

if [ "${ANJU_TEST_SKIP_PG:-0}" != 1 ]; then
  url=$(./scripts/pg-start.sh)
  export ANJU_TEST_PG_URL="$url"
  if [ "${ANJU_KEEP_PG:-0}" != 1 ]; then trap './scripts/pg-stop.sh' EXIT; fi
  echo "PostgreSQL for tests: $ANJU_TEST_PG_URL"
fi

# The web app first: the server embeds web/dist, so the binary under test serves this build.
phase "web: npm ci" bash -c 'cd web && npm ci --no-audit --no-fund --loglevel=error'
phase "web: unit tests (vitest)" bash -c 'cd web && npx vitest run'
phase "web: type check and build" bash -c 'cd web && npm run build --silent && node scripts/bundle-sizes.mjs'
phase "format" cargo fmt --all -- --check
phase "clippy" cargo clippy --workspace --all-targets -- -D warnings
phase "tests (SQLite and PostgreSQL)" cargo test --workspace
phase "anju binary with the web app" cargo build -p anju-cli
phase "web: browser tests (Chromium; SQLite, PostgreSQL smoke)" ./scripts/web-e2e.sh
echo "all tests passed in $(( $(date +%s) - start )) s"
