#!/usr/bin/env bash
# Compares anju-plan's exact min-cost-flow solver with Google OR-Tools SimpleMinCostFlow
# on identical networks, and times a re-plan after one site closes.
#
#   bench/solver/run.sh            all cases (the 1M ones take OR-Tools several minutes)
#   bench/solver/run.sh small      a 10,000-origin smoke case
#   bench/solver/run.sh 100k-10k 100k-1k 1m-10k 1m-1k replan
#
# Instances are Chongqing-like and seeded (see gen in
# crates/anju-plan/examples/solver_bench.rs): origins around villages, sites around
# towns, places 1.2 x people, k = 8. Each is written once to bench/out/ as the network
# plan() builds (i64 costs in metres, one sink, an unplaced arc per origin); both solvers
# read that file, add every arc in bulk, run single-threaded, and only the solve is timed.
# The script fails if the two optimal costs differ.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT="$ROOT/bench/out"
VENV="$ROOT/bench/.venv"
ORTOOLS_VERSION=9.15.6755
mkdir -p "$OUT"
export OMP_NUM_THREADS=1

if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
fi
if ! "$VENV/bin/python" -c "import ortools, numpy" 2>/dev/null; then
    "$VENV/bin/pip" install --quiet "ortools==$ORTOOLS_VERSION" numpy
fi
(cd "$ROOT" && cargo build --quiet --release -p anju-plan --example solver_bench)
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/examples/solver_bench"
PY="$VENV/bin/python"

# name origins sites seed
declare -A CASES=(
    [small]="10000 1000 9"
    [100k-10k]="100000 10000 1"
    [100k-1k]="100000 1000 2"
    [1m-10k]="1000000 10000 3"
    [1m-1k]="1000000 1000 4"
)
ORDER=(100k-10k 100k-1k 1m-10k 1m-1k replan)
if [ $# -eq 0 ] || [ "$1" = all ]; then
    set -- "${ORDER[@]}"
fi

val() { tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p"; }

echo "date: $(date -u +%Y-%m-%dT%H:%MZ)  cpus: $(getconf _NPROCESSORS_ONLN)  $(uname -srm)"
echo "ortools: $("$PY" -c 'import ortools; print(ortools.__version__)')  rustc: $(rustc --version | cut -d' ' -f2)"
echo
echo "Solve times are wall clock; CPU time (user + system) is in brackets, since on a shared"
echo "machine wall time includes waiting for a core."
echo
echo "| instance | arcs | Anju solve, s | OR-Tools solve, s | ratio | optimal cost (both) | Anju peak MiB | OR-Tools peak MiB |"
echo "|---|---|---|---|---|---|---|---|"
status=0
for name in "$@"; do
    if [ "$name" = replan ]; then
        continue
    fi
    read -r n m seed <<<"${CASES[$name]:?unknown case $name}"
    net="$OUT/$name-s$seed.net"
    if [ ! -s "$net" ]; then
        gen=$("$BIN" gen --origins "$n" --sites "$m" --seed "$seed" --k 8 --out "$net")
        echo "$gen" >"$net.info"
    fi
    arcs=$(val "$(cat "$net.info")" arcs)
    anju=$("$BIN" solve "$net")
    ort=$("$PY" "$ROOT/bench/solver/ortools_solve.py" "$net")
    echo "$anju" >"$OUT/$name.anju.txt"
    echo "$ort" >"$OUT/$name.ortools.txt"
    a_cost=$(val "$anju" cost)
    o_cost=$(val "$ort" cost)
    a_s=$(val "$anju" seconds)
    o_s=$(val "$ort" seconds)
    a_cpu=$(val "$anju" cpu_seconds)
    o_cpu=$(val "$ort" cpu_seconds)
    ratio=$(awk -v a="$a_s" -v o="$o_s" 'BEGIN { printf "%.3f", a / o }')
    a_mib=$(( $(val "$anju" peak_kib) / 1024 ))
    o_mib=$(( $(val "$ort" peak_kib) / 1024 ))
    if [ "$a_cost" = "$o_cost" ]; then
        cost="$a_cost"
    else
        cost="MISMATCH anju=$a_cost ortools=$o_cost"
        status=1
    fi
    echo "| $name ($n x $m) | $arcs | $a_s ($a_cpu) | $o_s ($o_cpu) | $ratio | $cost | $a_mib | $o_mib |"
done
for name in "$@"; do
    if [ "$name" = replan ]; then
        echo
        r=$("$BIN" replan --origins 100000 --sites 10000 --seed 1)
        echo "$r" >"$OUT/replan.txt"
        echo "re-plan, 100000 origins x 10000 sites (seed 1), the fullest site closed:"
        echo "  first plan: $(val "$r" plan_s) s in all (solver $(val "$r" plan_solve_s) s, $(val "$r" plan_retries) retries with more sites), flow bound $(val "$r" plan_bound), whole-household gap $(val "$r" plan_gap), unplaced people $(val "$r" plan_unplaced)"
        echo "  re-plan solver time: $(val "$r" replan_solve_s) s (whole re-plan $(val "$r" replan_s) s); closed site held $(val "$r" closed_load) people; moved households $(val "$r" moved_households); gap $(val "$r" replan_gap); unplaced people $(val "$r" replan_unplaced)"
    fi
done
exit $status
