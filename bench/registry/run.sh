#!/usr/bin/env bash
# Registry benchmark (issue 2, "Foundation"): how fast `anju demo` starts, and how fast a
# page of 50 households filtered by a district subtree is served from 1,000,000
# households, on SQLite and on PostgreSQL side by side.
#
#   ./bench/registry/run.sh [--rebuild] [--skip-demo-start] [--sqlite-only] [--postgres-only]
#   make bench-registry
#
# What it does:
#   1. Locates the release binary ($ANJU_BIN, default target/release/anju; built with
#      `cargo build --release -p anju-cli` if missing).
#   2. Times the default demo (200,000 households) from process start to its
#      "Anju is serving on" line, $ANJU_BENCH_DEMO_RUNS times (default 3) per backend,
#      each on a fresh database.
#   3. Builds a 1,000,000-household database per backend with `anju demo --no-serve`
#      (timed), kept in bench/out/registry/ (SQLite file) or in the bench PostgreSQL
#      (database anju_bench); reused on later runs unless --rebuild.
#   4. Per backend: starts `anju serve` (signing in as the demo's city-wide admin and
#      sending its bearer token if the API answers 401), warms up (wrk -c32 for $ANJU_BENCH_WARMUP),
#      then runs wrk with bench/registry/households.lua (random district first pages and
#      20 % next pages via cursors; see that file):
#        wrk -t1 -c32 -d$ANJU_BENCH_DURATION --latency   (throughput, latency under load)
#        wrk -t1 -c1  -d$ANJU_BENCH_DURATION --latency   (unloaded latency)
#      and reads the server's peak RSS (VmHWM in /proc/PID/status) afterwards. It also
#      records the CPU time per request of anju, of the bench PostgreSQL's processes and
#      of wrk (from /proc and bash's `time`), and the load average and CPU pressure (PSI)
#      before each run: on a shared machine these tell how far latency and requests/s
#      were set by other work rather than by anju.
#   5. Prints a summary table (also written to bench/out/registry/summary.txt) with the
#      targets of issue 2 marked met / MISSED.
#
# PostgreSQL: unless ANJU_BENCH_PG_URL (an admin URL) is given, the bench starts its own
# throwaway server with scripts/pg-start.sh on port $ANJU_BENCH_PG_PORT (default 55433,
# data in /tmp/anju-bench-pg), so the test suite's server on 55432 (which test.sh stops
# at exit) cannot disappear under a run. It is left running so the 1M database can be
# reused; stop it with `ANJU_PG_DIR=/tmp/anju-bench-pg ./scripts/pg-stop.sh`.
#
# Environment: ANJU_BIN, ANJU_BENCH_OUT (bench/out/registry), ANJU_BENCH_HOUSEHOLDS
# (1000000), ANJU_BENCH_SEED (2023), ANJU_BENCH_DEMO_RUNS (3), ANJU_BENCH_DURATION (20s),
# ANJU_BENCH_WARMUP (5s), ANJU_BENCH_NEXT_FRACTION (0.2), ANJU_BENCH_PG_URL,
# ANJU_BENCH_PG_PORT, ANJU_BENCH_PG_DIR, ANJU_BENCH_PG_DB (anju_bench; the demo-start runs
# use <it>_demo), ANJU_BENCH_USER / ANJU_BENCH_PASSWORD (only if the API needs a session and
# the demo's admin account is not found in bench/out/registry/build-BACKEND.out).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"

ANJU_BIN=${ANJU_BIN:-target/release/anju}
OUT=${ANJU_BENCH_OUT:-bench/out/registry}
BIG=${ANJU_BENCH_HOUSEHOLDS:-1000000}
SEED=${ANJU_BENCH_SEED:-2023}
DEMO_RUNS=${ANJU_BENCH_DEMO_RUNS:-3}
DURATION=${ANJU_BENCH_DURATION:-20s}
WARMUP=${ANJU_BENCH_WARMUP:-5s}
NEXT_FRACTION=${ANJU_BENCH_NEXT_FRACTION:-0.2}
PG_PORT=${ANJU_BENCH_PG_PORT:-55433}
PG_DIR=${ANJU_BENCH_PG_DIR:-/tmp/anju-bench-pg}
COUNTIES=data/chongqing/divisions/nbs2023_cq_counties.csv
LUA=bench/registry/households.lua
PG_BIG_DB=${ANJU_BENCH_PG_DB:-anju_bench}
PG_DEMO_DB=${PG_BIG_DB}_demo

REBUILD=0
SKIP_DEMO=0
BACKENDS=(sqlite postgres)
for arg in "$@"; do
  case $arg in
    --rebuild) REBUILD=1 ;;
    --skip-demo-start) SKIP_DEMO=1 ;;
    --sqlite-only) BACKENDS=(sqlite) ;;
    --postgres-only) BACKENDS=(postgres) ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown argument: $arg (try --help)" >&2; exit 2 ;;
  esac
done

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# --- processes started here are killed at exit, by their pid ---------------------------
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -f "$OUT/tmp/"*.fifo 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

stop_pid() {
  local pid=$1 p keep=()
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  for p in "${PIDS[@]}"; do [ "$p" = "$pid" ] || keep+=("$p"); done
  PIDS=("${keep[@]}")
}

# --- tools -------------------------------------------------------------------------------
need_apt=()
command -v wrk >/dev/null || need_apt+=(wrk)
command -v curl >/dev/null || need_apt+=(curl)
command -v jq >/dev/null || need_apt+=(jq)
if [[ " ${BACKENDS[*]} " == *" postgres "* ]]; then command -v psql >/dev/null || need_apt+=(postgresql-client); fi
if [ ${#need_apt[@]} -gt 0 ]; then
  log "installing ${need_apt[*]} from Debian's packages"
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >&2
fi

if [ ! -x "$ANJU_BIN" ]; then
  [ "$ANJU_BIN" = target/release/anju ] || die "ANJU_BIN=$ANJU_BIN is not an executable"
  log "building the release binary (cargo build --release -p anju-cli)"
  cargo build --release -p anju-cli >&2
fi
BIN=$(cd "$(dirname "$ANJU_BIN")" && pwd)/$(basename "$ANJU_BIN")
BIN_SUM=$(sha256sum "$BIN" | cut -c1-16)

mkdir -p "$OUT/tmp"
OUT=$(cd "$OUT" && pwd)
SUMMARY="$OUT/summary.txt"
: >"$OUT/load.txt"

note_load() { # what else the machine is doing, before a measurement
  {
    echo "== $(date -Is) $1"
    uptime
    top -b -n1 -w 200 | sed -n '7,13p'
  } >>"$OUT/load.txt" 2>/dev/null || true
}
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

# --- PostgreSQL --------------------------------------------------------------------------
PG_ADMIN=""
pg_setup() {
  if [ -n "${ANJU_BENCH_PG_URL:-}" ]; then
    PG_ADMIN=$ANJU_BENCH_PG_URL
  elif psql -X -q "postgres://postgres@127.0.0.1:$PG_PORT/postgres" -c 'SELECT 1' >/dev/null 2>&1; then
    # Already running (from an earlier run). Not handed to pg-start.sh: run as root, its
    # "already running?" check (pg_ctl status without runuser) fails and it would wipe
    # the running server's data directory.
    PG_ADMIN="postgres://postgres@127.0.0.1:$PG_PORT/postgres"
  else
    PG_ADMIN=$(ANJU_PG_DIR=$PG_DIR ANJU_PG_PORT=$PG_PORT ./scripts/pg-start.sh)
  fi
  psql -X -q -v ON_ERROR_STOP=1 "$PG_ADMIN" -c 'SELECT 1' >/dev/null || die "cannot reach $PG_ADMIN"
  log "PostgreSQL: $PG_ADMIN ($(psql -X -At "$PG_ADMIN" -c 'SHOW server_version'))"
}
pg_url() { echo "${PG_ADMIN%/*}/$1"; }
pg_recreate() {
  psql -X -q -v ON_ERROR_STOP=1 "$PG_ADMIN" -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" \
    -c "CREATE DATABASE $1" >/dev/null
}

db_url() { # backend purpose(big|demo)
  case $1:$2 in
    sqlite:big) echo "sqlite:$OUT/anju-1m.sqlite" ;;
    sqlite:demo) echo "sqlite:$OUT/tmp/demo-start.sqlite" ;;
    postgres:big) pg_url "$PG_BIG_DB" ;;
    postgres:demo) pg_url "$PG_DEMO_DB" ;;
  esac
}

# --- waiting for "Anju is serving on http://ADDR/" --------------------------------------
# Sets SERVE_ADDR. The server's stdout goes to a file that is polled.
wait_serving() { # pid stdout-file timeout-s
  local pid=$1 file=$2 deadline=$(($(date +%s) + $3)) line
  while :; do
    line=$(grep -m1 -o 'is serving on http://[^/]*/' "$file" 2>/dev/null || true)
    if [ -n "$line" ]; then
      SERVE_ADDR=${line#is serving on http://}
      SERVE_ADDR=${SERVE_ADDR%/}
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || die "server (pid $pid) exited before serving; see $file"
    [ "$(date +%s)" -lt "$deadline" ] || die "server (pid $pid) not serving after $3 s"
    sleep 0.05
  done
}

# --- 1. demo start time ------------------------------------------------------------------
# Wall time from starting `anju demo` (default 200,000 households) to its serving line,
# read from a FIFO so the end is taken the moment the line is written.
DEMO_SECS=""
time_demo_once() { # backend run
  local b=$1 run=$2 db fifo fd pid t0 t1="" line
  db=$(db_url "$b" demo)
  if [ "$b" = postgres ]; then pg_recreate "$PG_DEMO_DB"; fi
  # (the demo itself replaces a SQLite file)
  fifo="$OUT/tmp/demo-$b.fifo"
  rm -f "$fifo"
  mkfifo "$fifo"
  note_load "demo start $b run $run"
  t0=$(date +%s%N)
  "$BIN" demo --db "$db" --listen 127.0.0.1:0 >"$fifo" 2>"$OUT/demo-start-$b-$run.log" &
  pid=$!
  PIDS+=("$pid")
  exec {fd}<"$fifo"
  while IFS= read -r -u "$fd" line; do
    if [[ $line == *"is serving on http://"* ]]; then
      t1=$(date +%s%N)
      SERVE_ADDR=${line#*is serving on http://}
      SERVE_ADDR=${SERVE_ADDR%%/*}
      break
    fi
  done
  [ -n "$t1" ] || die "demo ($b) exited before serving; see $OUT/demo-start-$b-$run.log"
  # It really answers (200, or 401 once the API needs a session).
  local code
  code=$(curl -sS -o /dev/null -w '%{http_code}' "http://$SERVE_ADDR/api/v1/households?area=500101&limit=50" || true)
  [[ $code == 200 || $code == 401 ]] || die "demo ($b) printed its serving line but /api/v1/households answered $code"
  stop_pid "$pid"
  exec {fd}<&-
  rm -f "$fifo"
  DEMO_SECS=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')
}

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

declare -A R # results, keyed "backend.metric"

demo_start() { # backend
  local b=$1 runs=() i
  for ((i = 1; i <= DEMO_RUNS; i++)); do
    time_demo_once "$b" "$i"
    log "demo start ($b) run $i: $DEMO_SECS s  (load $(loadavg))"
    runs+=("$DEMO_SECS")
  done
  R[$b.demo_runs]=$(IFS=/; echo "${runs[*]}")
  R[$b.demo_median]=$(printf '%s\n' "${runs[@]}" | median)
  if [ "$b" = sqlite ]; then rm -f "$OUT/tmp/demo-start.sqlite"*; fi
  if [ "$b" = postgres ]; then psql -X -q "$PG_ADMIN" -c "DROP DATABASE IF EXISTS $PG_DEMO_DB WITH (FORCE)" >/dev/null; fi
}

# --- 2. the 1,000,000-household database ------------------------------------------------
big_present() { # backend: a finished build of the right size is there
  local b=$1 marker="$OUT/build-$1.txt"
  [ -f "$marker" ] && grep -q "^households=$BIG$" "$marker" || return 1
  case $b in
    sqlite) [ -f "$OUT/anju-1m.sqlite" ] ;;
    postgres)
      [ "$(psql -X -At "$PG_ADMIN" -c "SELECT count(*) FROM pg_database WHERE datname = '$PG_BIG_DB'")" = 1 ] &&
        [ "$(psql -X -At "$(pg_url "$PG_BIG_DB")" -c 'SELECT count(*) FROM households' 2>/dev/null)" = "$BIG" ]
      ;;
  esac
}

build_big() { # backend
  local b=$1 marker="$OUT/build-$1.txt" db t0 t1 secs
  db=$(db_url "$b" big)
  if [ "$REBUILD" = 0 ] && big_present "$b"; then
    log "reusing the $BIG-household $b database ($(grep '^seconds=' "$marker"), built $(grep '^date=' "$marker" | cut -d= -f2))"
    grep -q "^binary_sha256=$BIN_SUM$" "$marker" ||
      log "note: it was built by another anju binary; its build time is that binary's (--rebuild to redo)"
  else
    rm -f "$marker"
    if [ "$b" = postgres ]; then pg_recreate "$PG_BIG_DB"; fi
    log "building $BIG households on $b (anju demo --no-serve)…"
    note_load "build $b"
    local load_before
    load_before=$(loadavg)
    t0=$(date +%s%N)
    "$BIN" demo --households "$BIG" --seed "$SEED" --db "$db" --no-serve >"$OUT/build-$b.out" 2>"$OUT/build-$b.log" ||
      die "building the $b database failed; see $OUT/build-$b.log"
    t1=$(date +%s%N)
    secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) / 1e9 }')
    printf 'households=%s\nseed=%s\nseconds=%s\ndate=%s\nload_before=%s\nload_after=%s\nbinary_sha256=%s\n' \
      "$BIG" "$SEED" "$secs" "$(date -Is)" "$load_before" "$(loadavg)" "$BIN_SUM" >"$marker"
    log "built in $secs s"
  fi
  R[$b.build_s]=$(grep '^seconds=' "$marker" | cut -d= -f2)
  case $b in
    sqlite)
      local bytes=0 f
      for f in "$OUT/anju-1m.sqlite" "$OUT/anju-1m.sqlite-wal"; do
        [ -f "$f" ] && bytes=$((bytes + $(stat -c %s "$f")))
      done
      R[$b.db_mb]=$((bytes / 1024 / 1024))
      ;;
    postgres)
      R[$b.db_mb]=$(($(psql -X -At "$(pg_url "$PG_BIG_DB")" -c 'SELECT pg_database_size(current_database())') / 1024 / 1024))
      ;;
  esac
}

# --- 3. serving pages --------------------------------------------------------------------
# CPU time (in clock ticks) of a process, and of the bench PostgreSQL's processes.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
pg_ticks() {
  local pm p s=0
  [ -r "$PG_DIR/data/postmaster.pid" ] && [ -z "${ANJU_BENCH_PG_URL:-}" ] || { echo -; return; }
  pm=$(head -1 "$PG_DIR/data/postmaster.pid")
  for p in "$pm" $(pgrep -P "$pm"); do s=$((s + $(cpu_ticks "$p"))); done
  echo "$s"
}
TICK=$(getconf CLK_TCK)

run_wrk() { # backend url conns duration label server-pid
  local b=$1 url=$2 c=$3 d=$4 label=$5 pid=$6 out="$OUT/wrk-$1-$5.txt" kv k v a0 a1 p0 p1 wrk_cpu
  note_load "wrk $b $label"
  R[$b.$label.load]=$(loadavg)
  R[$b.$label.psi]=$(awk '/^some/ { sub("avg10=", "", $2); print $2 "%" }' /proc/pressure/cpu 2>/dev/null || echo -)
  a0=$(cpu_ticks "$pid")
  p0=$([ "$b" = postgres ] && pg_ticks || echo -)
  wrk_cpu=$( { TIMEFORMAT='%U %S'; time wrk -t1 -c"$c" -d"$d" --latency "${AUTH[@]}" -s "$LUA" "$url" -- "$COUNTIES" "$NEXT_FRACTION" >"$out" 2>&1; } 2>&1 ) ||
    die "wrk failed; see $out"
  a1=$(cpu_ticks "$pid")
  p1=$([ "$b" = postgres ] && pg_ticks || echo -)
  kv=$(grep '^BENCH ' "$out" | tail -1) || die "no BENCH line in $out"
  for kv in ${kv#BENCH }; do
    k=${kv%%=*}
    v=${kv#*=}
    R[$b.$label.$k]=$v
  done
  # CPU per request: anju itself, the database server's processes, and wrk. On a shared
  # machine these are steadier than latency; 2 cores / their sum bounds requests/s.
  local n=${R[$b.$label.requests]}
  R[$b.$label.cpu_anju_ms]=$(awk -v t=$((a1 - a0)) -v n="$n" -v hz="$TICK" 'BEGIN { printf "%.2f", t / hz * 1000 / n }')
  if [ "$p0" != - ] && [ "$p1" != - ]; then
    R[$b.$label.cpu_db_ms]=$(awk -v t=$((p1 - p0)) -v n="$n" -v hz="$TICK" 'BEGIN { printf "%.2f", t / hz * 1000 / n }')
  elif [ "$b" = sqlite ]; then
    R[$b.$label.cpu_db_ms]="(in anju)"
  fi
  R[$b.$label.cpu_wrk_ms]=$(awk -v u="${wrk_cpu% *}" -v s="${wrk_cpu#* }" -v n="$n" 'BEGIN { printf "%.2f", (u + s) * 1000 / n }')
  log "$b $label: $(grep -A1 'in-server latency' "$out" | tail -1 | sed 's/^ *//'); ${R[$b.$label.rps]} req/s; wrk p50 ${R[$b.$label.wrk_p50_ms]} ms p99 ${R[$b.$label.wrk_p99_ms]} ms; CPU/request anju ${R[$b.$label.cpu_anju_ms]} ms, db ${R[$b.$label.cpu_db_ms]:--} ms, wrk ${R[$b.$label.cpu_wrk_ms]} ms"
}

# Once the API needs a session (issue 3), sign in as the demo's city-wide admin, whose
# credentials the demo printed when it built the database ($OUT/build-BACKEND.out), or as
# $ANJU_BENCH_USER / $ANJU_BENCH_PASSWORD. Sets AUTH to wrk/curl header arguments.
AUTH=()
sign_in() { # backend url
  local b=$1 url=$2 code user pass token
  AUTH=()
  code=$(curl -sS -o /dev/null -w '%{http_code}' "$url/api/v1/households?area=500101&limit=50")
  [ "$code" = 401 ] || return 0
  user=${ANJU_BENCH_USER:-}
  pass=${ANJU_BENCH_PASSWORD:-}
  if [ -z "$user" ] && [ -f "$OUT/build-$b.out" ]; then
    read -r user pass < <(awk '$1 == "admin" { print $1, $2; exit }' "$OUT/build-$b.out") || true
  fi
  [ -n "$user" ] && [ -n "$pass" ] ||
    die "$b: the API needs a session and no demo credentials were found; run with --rebuild (or set ANJU_BENCH_USER/ANJU_BENCH_PASSWORD)"
  token=$(jq -n --arg u "$user" --arg p "$pass" '{username: $u, password: $p}' |
    curl -fsS -H 'content-type: application/json' --data-binary @- "$url/api/v1/auth/login" | jq -r .token) ||
    die "$b: signing in as $user failed"
  AUTH=(-H "Authorization: Bearer $token")
  log "$b: signed in as $user (requests carry a bearer session)"
}

bench_backend() { # backend
  local b=$1 db pid url
  db=$(db_url "$b" big)
  "$BIN" serve --db "$db" --listen 127.0.0.1:0 >"$OUT/serve-$b.out" 2>"$OUT/serve-$b.log" &
  pid=$!
  PIDS+=("$pid")
  wait_serving "$pid" "$OUT/serve-$b.out" 120
  url="http://$SERVE_ADDR"
  log "$b: serving on $url (pid $pid)"
  sign_in "$b" "$url"
  R[$b.auth]=$([ ${#AUTH[@]} -gt 0 ] && echo "bearer session" || echo "none")
  local body
  body=$(curl -fsS "${AUTH[@]}" "$url/api/v1/households?area=500101&limit=50") || die "$b: households request failed"
  [ "$(jq '.items | length' <<<"$body")" = 50 ] || die "$b: a first page of 500101 does not hold 50 households"
  R[$b.rss_start_mb]=$(awk '/^VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$pid/status")
  log "$b: warming up ($WARMUP, -c32)"
  wrk -t1 -c32 -d"$WARMUP" "${AUTH[@]}" -s "$LUA" "$url" -- "$COUNTIES" "$NEXT_FRACTION" >"$OUT/wrk-$b-warmup.txt" 2>&1
  run_wrk "$b" "$url" 32 "$DURATION" c32 "$pid"
  run_wrk "$b" "$url" 1 "$DURATION" c1 "$pid"
  R[$b.rss_peak_mb]=$(awk '/^VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$pid/status")
  R[$b.rss_end_mb]=$(awk '/^VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$pid/status")
  log "$b: peak RSS ${R[$b.rss_peak_mb]} MB"
  stop_pid "$pid"
}

# --- run ---------------------------------------------------------------------------------
log "anju binary: $BIN"
log "machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(. /etc/os-release && echo "$PRETTY_NAME"); load $(loadavg)"
note_load "start"
START_LOAD=$(loadavg)
if [[ " ${BACKENDS[*]} " == *" postgres "* ]]; then pg_setup; fi

for b in "${BACKENDS[@]}"; do
  if [ "$SKIP_DEMO" = 0 ]; then demo_start "$b"; fi
done
for b in "${BACKENDS[@]}"; do build_big "$b"; done
for b in "${BACKENDS[@]}"; do bench_backend "$b"; done

# --- summary -----------------------------------------------------------------------------
get() { echo "${R[$1]:--}"; }
verdict() { # value op limit -> met / MISSED
  awk -v v="$1" -v l="$3" -v op="$2" 'BEGIN {
    if (v == "-" || v == "") { print "-"; exit }
    ok = (op == "<") ? (v + 0 < l + 0) : (v + 0 >= l + 0)
    print ok ? "met" : "MISSED" }'
}
{
  echo "Registry benchmark, $(date -Is); $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(. /etc/os-release && echo "$PRETTY_NAME")"
  echo "binary: $BIN; $BIG households (seed $SEED); wrk -t1, $DURATION per run after a $WARMUP warm-up; next-page fraction $NEXT_FRACTION"
  echo "load average at start: $START_LOAD (other processes: $OUT/load.txt)"
  echo
  cols=("${BACKENDS[@]}")
  hdr() { printf '%-40s' "$1"; for b in "${cols[@]}"; do printf ' %24s' "$b"; done; echo; }
  row() { # label key [suffix]
    printf '%-40s' "$1"
    for b in "${cols[@]}"; do printf ' %24s' "$(get "$b.$2")${3:-}"; done
    echo
  }
  hdr "metric"
  if [ "$SKIP_DEMO" = 0 ]; then
    row "demo start, 200k, median (s)" demo_median
    row "demo start, all runs (s)" demo_runs
  fi
  row "build 1M households (s)" build_s
  row "database size (MiB)" db_mb
  row "c1: in-server p50 (ms)" c1.in_p50_ms
  row "c1: in-server p99 (ms)" c1.in_p99_ms
  row "c1: wrk p50 (ms)" c1.wrk_p50_ms
  row "c1: wrk p99 (ms)" c1.wrk_p99_ms
  row "c1: requests/s" c1.rps
  row "c32: in-server p50 (ms)" c32.in_p50_ms
  row "c32: in-server p90 (ms)" c32.in_p90_ms
  row "c32: in-server p99 (ms)" c32.in_p99_ms
  row "c32: in-server max (ms)" c32.in_max_ms
  row "c32: wrk p50 (ms)" c32.wrk_p50_ms
  row "c32: wrk p99 (ms)" c32.wrk_p99_ms
  row "c32: requests/s" c32.rps
  row "c32: CPU/request, anju (ms)" c32.cpu_anju_ms
  row "c32: CPU/request, database (ms)" c32.cpu_db_ms
  row "c32: CPU/request, wrk (ms)" c32.cpu_wrk_ms
  row "c1: CPU/request, anju (ms)" c1.cpu_anju_ms
  row "c1: CPU/request, database (ms)" c1.cpu_db_ms
  row "c32: statuses" c32.statuses
  row "c32: socket errors (read/timeout)" c32.err_read
  row "authentication" auth
  row "server RSS after start (MiB)" rss_start_mb
  row "server peak RSS, VmHWM (MiB)" rss_peak_mb
  row "load average before c32 run" c32.load
  row "CPU pressure (PSI some avg10) before c32" c32.psi
  echo
  echo "targets (issue 2):"
  for b in "${cols[@]}"; do
    line="  $b:"
    if [ "$SKIP_DEMO" = 0 ]; then line+=" demo<30s $(verdict "$(get "$b.demo_median")" '<' 30);"; fi
    line+=" c32 p50<2ms $(verdict "$(get "$b.c32.in_p50_ms")" '<' 2);"
    line+=" c32 p99<10ms $(verdict "$(get "$b.c32.in_p99_ms")" '<' 10);"
    line+=" c1 p50<2ms $(verdict "$(get "$b.c1.in_p50_ms")" '<' 2);"
    line+=" c1 p99<10ms $(verdict "$(get "$b.c1.in_p99_ms")" '<' 10);"
    line+=" >=5000 req/s $(verdict "$(get "$b.c32.rps")" '>=' 5000);"
    line+=" RSS<200MB $(verdict "$(get "$b.rss_peak_mb")" '<' 200)"
    echo "$line"
  done
} | tee "$SUMMARY"
log "summary written to $SUMMARY; wrk outputs in $OUT/wrk-*.txt"
