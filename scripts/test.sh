#!/usr/bin/env bash
# The whole test suite: formatting, lints, and every test on both backends.
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

phase "format" cargo fmt --all -- --check
phase "clippy" cargo clippy --workspace --all-targets -- -D warnings
phase "tests (SQLite and PostgreSQL)" cargo test --workspace
echo "all tests passed in $(( $(date +%s) - start )) s"
