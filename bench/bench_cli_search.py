"""Wall and CPU time of one `vidrec search` process on a warm store, this checkout against another (a baseline).

    PYTHONPATH=. python bench/bench_cli_search.py --store STORE --baseline /path/to/other/checkout [--rounds 5]
        [--server]

Each round runs, interleaved: the baseline and this checkout (`--local`) on a query both have seen before (warm: the
disk query cache of this checkout holds it; the baseline has none), then this checkout on a query it has never seen.
With --server, a `vidrec serve` of this checkout is started on the store first and each round also runs this
checkout's `vidrec search` without flags, which finds that server and asks it (its CPU is the client's; the
server's own CPU for the request is reported beside it). The baseline and the --local runs ignore the server.
CPU = user + sys of the child process (what the machine's other jobs do not inflate much); wall = elapsed.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WARM = ["红色连衣裙 300元以内", "blue shorts under 200", "黑色纯棉T恤", "运动鞋 便宜一点的"]


def one(root: Path, store: str, query: str, *extra: str, via_server: bool = False) -> tuple[float, float]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}  # as installed: .pyc files used
    env["PYTHONPATH"] = str(root)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "vidrec.cli", *(["-v"] if via_server else []), "search", query, "--store", store, "--k", "5", *extra],
                          capture_output=True, text=True, env=env, timeout=600, cwd=root)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(proc.stderr)
    if via_server and "asked the server running on the store" not in proc.stderr:
        raise SystemExit(f"the search did not go through the server: {proc.stderr}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def process_cpu_s(pid: int) -> float:
    """User + sys CPU seconds of a running process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_server(store: str) -> subprocess.Popen:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-m", "vidrec.cli", "serve", "--store", store, "--port", str(port)],
                            env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"vidrec serve exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as r:
                if r.status == 200:
                    return proc
        except OSError:
            pass
        time.sleep(0.5)
    proc.terminate()
    raise SystemExit("vidrec serve not ready after 600 s")


def ratio_interval(base: list[float], this: list[float], n: int = 2000) -> list[float]:
    """95 % bootstrap interval of median(base) / median(this), resampling the rounds (the pairs run together)."""
    import random

    rng = random.Random(13)
    rounds = range(len(base))
    ratios = sorted(statistics.median(base[i] for i in pick) / statistics.median(this[i] for i in pick)
                    for pick in ([rng.choice(rounds) for _ in rounds] for _ in range(n)))
    return [round(ratios[int(0.025 * n)], 2), round(ratios[int(0.975 * n) - 1], 2)]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--store", required=True)
    ap.add_argument("--baseline", required=True, type=Path)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--server", action="store_true", help="also time searches through a running `vidrec serve`")
    args = ap.parse_args()
    server = start_server(args.store) if args.server else None
    try:
        for query in WARM:  # fill this checkout's query cache (and both checkouts' .pyc files)
            one(REPO, args.store, query, "--local")
            one(args.baseline, args.store, query)
            if server is not None:
                one(REPO, args.store, query, via_server=True)
        rows: dict[str, list[tuple[float, float]]] = {"baseline_warm": [], "this_warm": [], "this_new_query": []}
        server_cpu: list[float] = []
        for r in range(args.rounds):
            query = WARM[r % len(WARM)]
            rows["baseline_warm"].append(one(args.baseline, args.store, query))
            rows["this_warm"].append(one(REPO, args.store, query, "--local"))
            rows["this_new_query"].append(one(REPO, args.store, f"{query} {r} {time.time_ns()}", "--local"))
            if server is not None:
                before = process_cpu_s(server.pid)
                rows.setdefault("this_via_server", []).append(one(REPO, args.store, query, via_server=True))
                server_cpu.append(process_cpu_s(server.pid) - before)
    finally:
        if server is not None:
            server.terminate()
            server.wait(60)
    report = {name: {"wall_s_median": round(statistics.median(w for w, _ in v), 3),
                     "cpu_s_median": round(statistics.median(c for _, c in v), 3),
                     "cpu_s_min_max": [round(min(c for _, c in v), 3), round(max(c for _, c in v), 3)], "n": len(v)}
              for name, v in rows.items()}
    cpu = {name: [c for _, c in v] for name, v in rows.items()}
    for name in [n for n in rows if n.startswith("this_")]:
        report[f"cpu_ratio_baseline_over_{name}"] = {
            "ratio": round(report["baseline_warm"]["cpu_s_median"] / report[name]["cpu_s_median"], 2),
            "ci95": ratio_interval(cpu["baseline_warm"], cpu[name])}
    if server is not None:
        report["this_via_server"]["server_cpu_s_median"] = round(statistics.median(server_cpu), 3)
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
