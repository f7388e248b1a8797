"""The server's CPU per HTTP request outside the dialog: what parsing, routing, the middleware, JSON and the access
log cost, measured on requests that do almost nothing else.

    python bench/bench_request_cpu.py --store STORE [--requests 2000] [--tree DIR] [--site DIR] [--rounds 3]

It starts a real `vidrec serve` (bench_server.py's `Server`: limits off, global query cache off) on a copy of the
store, opens a session, and sends, one at a time on one keep-alive connection, --requests of each kind:
a card's thumbnail (from the server's memory after the first), the session's state (GET /v1/sessions/{id}: an
sqlite read and a pydantic response) and /healthz. Reported per kind: the server's CPU (user + system, all its
threads) per request in microseconds, a median over --rounds, and the client's. `--tree` serves another checkout's
code (a baseline), `--site` adds a folder of packages to the server's path (e.g. httptools and uvloop installed
with `pip install --target`).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_server import REPO, Server, server_cpu_s  # noqa: E402


def measure(client: httpx.Client, proc: psutil.Process, url: str, n: int, headers: dict) -> tuple[float, float]:
    for _ in range(20):  # warm: the first thumbnail is made, the route's code paths run once
        assert client.get(url, headers=headers).status_code == 200
    before, client_before = server_cpu_s(proc), time.process_time()
    for _ in range(n):
        r = client.get(url, headers=headers)
        if r.status_code != 200:
            raise SystemExit(f"{url}: {r.status_code} {r.text[:200]}")
    return ((server_cpu_s(proc) - before) / n * 1e6, (time.process_time() - client_before) / n * 1e6)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--store", required=True, type=Path)
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--tree", type=Path)
    ap.add_argument("--site", type=Path)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="vidrec-reqcpu-"))
    server = None
    try:
        store = work / "store"
        shutil.copytree(args.store, store, ignore=shutil.ignore_patterns("write.lock", ".server*", "thumbnails"))
        server = Server(store, work, False, args.tree.resolve() if args.tree else REPO,
                        args.site.resolve() if args.site else None)
        server.wait_ready()
        proc = psutil.Process(server.proc.pid)
        with httpx.Client(base_url=server.base, timeout=60) as client:
            r = client.post("/v1/sessions", json={})
            sid, token = r.json()["session_id"], r.json()["client_token"]
            h = {"Authorization": f"Bearer {token}"}
            turn = client.post(f"/v1/sessions/{sid}/messages", json={"text": "show me some shirts"}, headers=h).json()
            kinds = {"thumbnail": turn["items"][0]["thumbnail"], "session": f"/v1/sessions/{sid}",
                     "healthz": "/healthz"}
            rows: dict[str, list[tuple[float, float]]] = {k: [] for k in kinds}
            for _ in range(args.rounds):
                for kind, url in kinds.items():
                    rows[kind].append(measure(client, proc, url, args.requests, h))
        log_lines = sum(1 for line in server.log_path.read_text(errors="replace").splitlines()
                        if '"msg": "request"' in line)
        started = [json.loads(line) for line in server.log_path.read_text(errors="replace").splitlines()
                   if '"msg": "http server"' in line]
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)
    result = {"tree": str(args.tree or REPO), "site": str(args.site) if args.site else None,
              "http": started[0] if started else "not logged (uvicorn's auto choice)",
              "requests_per_kind_and_round": args.requests, "rounds": args.rounds, "access_log_lines": log_lines,
              "server_us_per_request": {k: round(statistics.median(s for s, _ in v), 1) for k, v in rows.items()},
              "server_us_per_request_all": {k: [round(s, 1) for s, _ in v] for k, v in rows.items()},
              "client_us_per_request": {k: round(statistics.median(c for _, c in v), 1) for k, v in rows.items()},
              "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
              "loadavg": [round(x, 2) for x in psutil.getloadavg()]}
    text = json.dumps(result, indent=1)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
