"""Wall and CPU time of one `vidrec search` process on a warm store, this checkout against another (a baseline).

    PYTHONPATH=. python bench/bench_cli_search.py --store STORE --baseline /path/to/other/checkout [--rounds 5]

Each round runs, interleaved: the baseline and this checkout on a query both have seen before (warm: the disk
query cache of this checkout holds it; the baseline has none), then this checkout on a query it has never seen.
CPU = user + sys of the child process (what the machine's other jobs do not inflate much); wall = elapsed.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WARM = ["红色连衣裙 300元以内", "blue shorts under 200", "黑色纯棉T恤", "运动鞋 便宜一点的"]


def one(root: Path, store: str, query: str) -> tuple[float, float]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}  # as installed: .pyc files used
    env["PYTHONPATH"] = str(root)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "vidrec.cli", "search", query, "--store", store, "--k", "5"],
                          capture_output=True, text=True, env=env, timeout=600, cwd=root)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(proc.stderr)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--store", required=True)
    ap.add_argument("--baseline", required=True, type=Path)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    for query in WARM:  # fill this checkout's query cache (and both checkouts' .pyc files)
        one(REPO, args.store, query)
        one(args.baseline, args.store, query)
    rows: dict[str, list[tuple[float, float]]] = {"baseline_warm": [], "this_warm": [], "this_new_query": []}
    for r in range(args.rounds):
        query = WARM[r % len(WARM)]
        rows["baseline_warm"].append(one(args.baseline, args.store, query))
        rows["this_warm"].append(one(REPO, args.store, query))
        rows["this_new_query"].append(one(REPO, args.store, f"{query} {r} {time.time_ns()}"))
    report = {name: {"wall_s_median": round(statistics.median(w for w, _ in v), 3),
                     "cpu_s_median": round(statistics.median(c for _, c in v), 3), "n": len(v)}
              for name, v in rows.items()}
    report["cpu_ratio_baseline_over_this_warm"] = round(
        report["baseline_warm"]["cpu_s_median"] / report["this_warm"]["cpu_s_median"], 2)
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
