#!/usr/bin/env bash
# Prevention benchmark (issue 10): a plan for a whole district of 100,000 threatened
# households end to end (load, solve, store), then a re-plan after closing the fullest
# site, on SQLite (a fresh file) and PostgreSQL ($ANJU_BENCH_PG_URL: an empty database).
#
#   ./bench/prevention/run.sh [HOUSEHOLDS]
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
N=${1:-100000}
cargo build --release -p anju-store --example prevention_bench
BIN=target/release/examples/prevention_bench
DB=$(mktemp -d)/prevention.sqlite
"$BIN" "sqlite:$DB" "$N"
if [ -n "${ANJU_BENCH_PG_URL:-}" ]; then
  "$BIN" "$ANJU_BENCH_PG_URL" "$N"
fi
