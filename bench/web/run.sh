#!/usr/bin/env bash
# The web app's figures: JavaScript per route (gzip) from the production build, and the
# time from navigation to the inbox's data on screen in Chromium with 4× CPU throttling
# and a 1.6 Mbps / 150 ms network (the `figures` test of web/e2e/app.test.mjs).
# Results: printed, and web/e2e/.tmp/figures.json; recorded in docs/performance.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
(cd web && { [ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error; } && npm run build --silent)
echo "== JavaScript per route (gzip)"
node web/scripts/bundle-sizes.mjs
cargo build -p anju-cli
export ANJU_BIN=$(realpath "${CARGO_TARGET_DIR:-target}/debug/anju")
echo "== inbox data on screen"
(cd web && node --test --test-concurrency=1 --test-name-pattern="throttled" e2e/app.test.mjs | grep -E "inbox data|^# (pass|fail)")
cat web/e2e/.tmp/figures.json
