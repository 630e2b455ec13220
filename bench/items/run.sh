#!/usr/bin/env bash
# The closed loop's figures on both backends (docs/performance.md "Closed loop").
# ITEMS (default 1,000,000 items, five events each) and CLIENTS (32) may be set.
set -euo pipefail
cd "$(dirname "$0")/../.."
ITEMS=${ITEMS:-1000000}
CLIENTS=${CLIENTS:-32}
cargo build --release -p anju-cli --example items_bench
BIN=${CARGO_TARGET_DIR:-target}/release/examples/items_bench
echo "== SQLite"
"$BIN" --db sqlite:/tmp/anju-items-bench.sqlite --items "$ITEMS" --clients "$CLIENTS"
rm -f /tmp/anju-items-bench.sqlite*
if [ "${ANJU_BENCH_SKIP_PG:-0}" != 1 ]; then
  url=$(./scripts/pg-start.sh)
  psql "$url" -qc "DROP DATABASE IF EXISTS anju_items_bench" -c "CREATE DATABASE anju_items_bench"
  echo "== PostgreSQL"
  "$BIN" --db "${url%/*}/anju_items_bench" --items "$ITEMS" --clients "$CLIENTS"
fi
