"""The server's CPU per HTTP request outside the dialog: what parsing, routing, the middleware, JSON and the access
log cost, measured on requests that do almost nothing else.

    python bench/bench_request_cpu.py --store STORE [--requests 1000] [--rounds 5] [--server TREE[+SITE] ...]

It starts a real `vidrec serve` (bench_server.py's `Server`: limits off, global query cache off) on a copy of the
store, opens a session, and sends, one at a time on one keep-alive connection, --requests of each kind:
a card's thumbnail (from the server's memory after the first), the session's state (GET /v1/sessions/{id}: an
sqlite read and a pydantic response) and /healthz. Reported per kind: the server's CPU (user + system, all its
threads) per request in microseconds, a median over --rounds, and the client's.

Each `--server` is a checkout to serve (default: this one), optionally with `+DIR`, a folder of packages added to
its path (e.g. httptools and uvloop installed with `pip install --target DIR`). Several servers run side by side
and are measured in turns, block by block (the order rotating each round), so that on a shared machine each block
of each server meets the same load: compare them within one run.
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
    ap.add_argument("--requests", type=int, default=1000, help="requests per block")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--server", action="append", default=[], help="TREE or TREE+SITE (repeat; default: this "
                    "checkout)")
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    specs = args.server or [str(REPO)]
    work = Path(tempfile.mkdtemp(prefix="vidrec-reqcpu-"))
    servers: list[Server] = []
    try:
        for n, spec in enumerate(specs):
            tree, _, site = spec.partition("+")
            store = work / f"store-{n}"
            shutil.copytree(args.store, store, ignore=shutil.ignore_patterns("write.lock", ".server*", "thumbnails"))
            (work / str(n)).mkdir()
            servers.append(Server(store, work / str(n), False, Path(tree).resolve(),
                                  Path(site).resolve() if site else None))
        clients, urls = [], []
        for server in servers:
            server.wait_ready()
            client = httpx.Client(base_url=server.base, timeout=60)
            r = client.post("/v1/sessions", json={})
            sid, token = r.json()["session_id"], r.json()["client_token"]
            h = {"Authorization": f"Bearer {token}"}
            turn = client.post(f"/v1/sessions/{sid}/messages", json={"text": "show me some shirts"}, headers=h).json()
            clients.append((client, psutil.Process(server.proc.pid), h))
            urls.append({"thumbnail": turn["items"][0]["thumbnail"], "session": f"/v1/sessions/{sid}",
                         "healthz": "/healthz"})
        rows = [{k: [] for k in urls[0]} for _ in servers]
        for r in range(args.rounds):
            for kind in urls[0]:
                for i in [(r + j) % len(servers) for j in range(len(servers))]:
                    client, proc, h = clients[i]
                    rows[i][kind].append(measure(client, proc, urls[i][kind], args.requests, h))
        for client, _, _ in clients:
            client.close()
        logs = [server.log_path.read_text(errors="replace").splitlines() for server in servers]
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)
    result = {"requests_per_block": args.requests, "rounds": args.rounds, "servers": [],
              "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
              "loadavg": [round(x, 2) for x in psutil.getloadavg()]}
    for spec, row, lines in zip(specs, rows, logs, strict=True):
        started = [json.loads(line) for line in lines if '"msg": "http server"' in line]
        result["servers"].append({
            "server": spec, "http": ({k: started[0][k] for k in ("http", "loop")} if started
                                     else "not logged (uvicorn's auto choice)"),
            "access_log_lines": sum(1 for line in lines if '"msg": "request"' in line),
            "server_us_per_request": {k: round(statistics.median(s for s, _ in v), 1) for k, v in row.items()},
            "server_us_per_request_blocks": {k: [round(s, 1) for s, _ in v] for k, v in row.items()},
            "client_us_per_request": {k: round(statistics.median(c for _, c in v), 1) for k, v in row.items()}})
    text = json.dumps(result, indent=1)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
