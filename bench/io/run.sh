#!/usr/bin/env bash
# Import and export benchmark (issue 7): 1,000,000 households (three members each) imported
# from CSV into a database with the Chongqing area tree and every index in place, then
# exported back to CSV; XLSX import of a smaller file; database size. SQLite and PostgreSQL.
#
#   ./bench/io/run.sh [--sqlite-only] [--postgres-only]
#
# Uses release builds ($ANJU_BIN, default target/release/anju; $ANJU_GEN, default
# target/release/examples/gen_register), building them if missing. Timings and peak RSS come
# from /usr/bin/time -v; everything lands in bench/out/io/ (summary.txt is the table).
# PostgreSQL: its own throwaway server via scripts/pg-start.sh on $ANJU_BENCH_PG_PORT
# (default 55436, data in /tmp/anju-bench-io-pg), left running; stop it with
# `ANJU_PG_DIR=/tmp/anju-bench-io-pg ./scripts/pg-stop.sh`.
#
# Environment: ANJU_BENCH_HOUSEHOLDS (1000000), ANJU_BENCH_XLSX_HOUSEHOLDS (300000),
# ANJU_BENCH_OUT (bench/out/io).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
ANJU_BIN=${ANJU_BIN:-target/release/anju}
ANJU_GEN=${ANJU_GEN:-target/release/examples/gen_register}
OUT=${ANJU_BENCH_OUT:-bench/out/io}
N=${ANJU_BENCH_HOUSEHOLDS:-1000000}
NX=${ANJU_BENCH_XLSX_HOUSEHOLDS:-300000}
PG_PORT=${ANJU_BENCH_PG_PORT:-55436}
PG_DIR=${ANJU_BENCH_PG_DIR:-/tmp/anju-bench-io-pg}
BACKENDS=(sqlite postgres)
for arg in "$@"; do
  case $arg in
    --sqlite-only) BACKENDS=(sqlite) ;;
    --postgres-only) BACKENDS=(postgres) ;;
    *) echo "unknown argument: $arg" >&2; exit 2 ;;
  esac
done
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
mkdir -p "$OUT"
[ -x "$ANJU_BIN" ] || cargo build --release -p anju-cli
[ -x "$ANJU_GEN" ] || cargo build --release -p anju-io --example gen_register

# Village codes of the real tree, from a scratch database.
if [ ! -s "$OUT/villages.txt" ]; then
  rm -f "$OUT/villages.sqlite"*
  "$ANJU_BIN" areas load --db "sqlite:$OUT/villages.sqlite" >/dev/null
  sqlite3 "$OUT/villages.sqlite" "SELECT code FROM areas WHERE level = 'village' ORDER BY code" > "$OUT/villages.txt"
fi
[ -s "$OUT/households-$N.csv" ] || { log "generating $N households"; "$ANJU_GEN" "$OUT/villages.txt" "$N" "$OUT/households-$N.csv"; }
[ -s "$OUT/households-$NX.xlsx" ] || { log "generating $NX households as XLSX"; "$ANJU_GEN" "$OUT/villages.txt" "$NX" "$OUT/households-$NX.xlsx" --xlsx; }

# Runs a command under /usr/bin/time -v; prints "seconds peak_kib" and keeps the output.
timed() {
  local name=$1; shift
  /usr/bin/time -v "$@" > "$OUT/$name.out" 2> "$OUT/$name.time" || { cat "$OUT/$name.time" >&2; exit 1; }
  local wall rss
  wall=$(grep 'Elapsed (wall clock)' "$OUT/$name.time" | awk '{print $NF}' | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
  rss=$(grep 'Maximum resident set size' "$OUT/$name.time" | awk '{print $NF}')
  echo "$wall $rss"
}

summary="$OUT/summary.txt"
{
  echo "# bench/io/run.sh, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load before: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "# commit $(git rev-parse --short HEAD)"
  printf '%-10s %-28s %10s %12s %14s\n' backend step seconds "peak RSS MiB" rate
} > "$summary"

row() { printf '%-10s %-28s %10.1f %12.0f %14s\n' "$1" "$2" "$3" "$(( $4 / 1024 ))" "$5" >> "$summary"; }

for b in "${BACKENDS[@]}"; do
  if [ "$b" = sqlite ]; then
    rm -f "$OUT/bench.sqlite"* "$OUT/xlsx.sqlite"*
    DB="sqlite:$OUT/bench.sqlite"; XDB="sqlite:$OUT/xlsx.sqlite"
  else
    export ANJU_PG_PORT=$PG_PORT ANJU_PG_DIR=$PG_DIR
    admin=$(./scripts/pg-start.sh)
    for d in anju_io_bench anju_io_xlsx; do
      psql "$admin" -qc "DROP DATABASE IF EXISTS $d" -c "CREATE DATABASE $d"
    done
    DB="${admin%/*}/anju_io_bench"; XDB="${admin%/*}/anju_io_xlsx"
  fi
  "$ANJU_BIN" areas load --db "$DB" > /dev/null
  "$ANJU_BIN" areas load --db "$XDB" > /dev/null
  log "$b: importing $N households from CSV"
  read -r s rss < <(timed "$b-import" "$ANJU_BIN" import households "$OUT/households-$N.csv" --db "$DB")
  row "$b" "import CSV ($N hh)" "$s" "$rss" "$(awk -v n="$N" -v s="$s" 'BEGIN{printf "%.0f hh/s", n/s}')"
  log "$b: re-importing the same file (all unchanged)"
  read -r s rss < <(timed "$b-reimport" "$ANJU_BIN" import households "$OUT/households-$N.csv" --db "$DB")
  row "$b" "re-import (unchanged)" "$s" "$rss" "$(awk -v n="$N" -v s="$s" 'BEGIN{printf "%.0f hh/s", n/s}')"
  log "$b: exporting to CSV"
  rm -f "$OUT/export-$b.csv"
  read -r s rss < <(timed "$b-export" "$ANJU_BIN" export households -o "$OUT/export-$b.csv" --db "$DB")
  rows=$(( $(wc -l < "$OUT/export-$b.csv") - 1 ))
  row "$b" "export CSV ($rows rows)" "$s" "$rss" "$(awk -v n="$rows" -v s="$s" 'BEGIN{printf "%.0f rows/s", n/s}')"
  log "$b: importing $NX households from XLSX"
  read -r s rss < <(timed "$b-xlsx" "$ANJU_BIN" import households "$OUT/households-$NX.xlsx" --db "$XDB")
  row "$b" "import XLSX ($NX hh)" "$s" "$rss" "$(awk -v n="$NX" -v s="$s" 'BEGIN{printf "%.0f hh/s", n/s}')"
  if [ "$b" = sqlite ]; then
    size=$(du -cm "$OUT"/bench.sqlite* | tail -1 | cut -f1)
  else
    size=$(psql "$DB" -Atc "SELECT pg_database_size(current_database()) / 1048576")
  fi
  echo "$b database size after $N households: $size MiB" >> "$summary"
done
cat "$summary"
