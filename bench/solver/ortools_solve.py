"""Solve an ANJUNET1 network file with OR-Tools SimpleMinCostFlow; print one key=value line.

Arcs and supplies are added in bulk from numpy arrays; only Solve() is timed.
SimpleMinCostFlow is single-threaded.
"""

import resource
import sys
import time

import numpy as np
from ortools.graph.python import min_cost_flow


def main(path: str) -> None:
    with open(path, "rb") as f:
        if f.read(8) != b"ANJUNET1":
            sys.exit("not an ANJUNET1 file")
        nodes, arcs = np.frombuffer(f.read(16), dtype="<u8")
        nodes, arcs = int(nodes), int(arcs)
        supply = np.fromfile(f, dtype="<i8", count=nodes)
        tails = np.fromfile(f, dtype="<i4", count=arcs)
        heads = np.fromfile(f, dtype="<i4", count=arcs)
        caps = np.fromfile(f, dtype="<i8", count=arcs)
        costs = np.fromfile(f, dtype="<i8", count=arcs)
    smcf = min_cost_flow.SimpleMinCostFlow()
    smcf.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
    smcf.set_nodes_supplies(np.arange(nodes, dtype=np.int64), supply)
    del tails, heads, caps, costs
    cpu0 = time.process_time()
    start = time.perf_counter()
    status = smcf.solve()
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu0
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if status != smcf.OPTIMAL:
        print(f"solver=ortools status={status} seconds={seconds:.3f} peak_kib={peak_kib}")
        sys.exit(1)
    print(
        f"solver=ortools cost={smcf.optimal_cost()} seconds={seconds:.3f} cpu_seconds={cpu:.2f} "
        f"peak_kib={peak_kib}"
    )


if __name__ == "__main__":
    main(sys.argv[1])
