"""Load test of `vidrec serve`: N simulated shoppers chatting at once on loopback, for a bounded time (issue 19).

    python bench/bench_server.py --store STORE                         # the issue's soak: 50 shoppers, think 1 s,
                                                                       # 10 minutes, query cache off
    python bench/bench_server.py --store STORE --saturate --cache both # saturation throughput, cache off and on
    python bench/bench_server.py --ingest-demo ...                     # ingest examples/demo first (real models)

Options: --duration S (600), --shoppers N (50), --think S (mean think time, 1.0), --cache on|off|both (off),
--saturate (no think time: the most turns per second the server answers), --warmup S (20), --out FILE.

It starts a real `vidrec serve` process on a copy of the store (the store is left as it was), warms it up with two
shoppers, then runs N shoppers as asyncio tasks. Each shopper opens a session (keeping the client token the server
hands out, like the web page) and follows a multi-turn script in Chinese or English, slots drawn at random per
session: a request, answering the clarifying question with its first option, a critique, "not this" by button,
a question about an item, "like" by button, a second request, its answer, "more", "add to cart" by button and by
sentence; it loads the thumbnails of the cards it is shown, waits a think time between turns (exponential, mean
--think seconds) and starts a new session when the script ends.

"Cache off" is the server's global query-embedding cache shared by all shoppers (VIDREC_QUERY_CACHE=0). Each
session's own memo of its last query embedding (VIDREC_QUERY_MEMO, vidrec/server/query_memo.py) stays as the
server has it, on by default; run with VIDREC_QUERY_MEMO=0 in the environment to embed every query of every turn.

Reported (printed, and written as JSON to --out): turns per second; p50/p95/p99/max latency of a turn (a message
or a button press), also per kind; the errors (any non-2xx answer or transport error, by kind); the server's RSS
(with children) sampled every 10 s and its growth as a least-squares slope in MB/min and in KB per 1,000 turns
over the run after its first minute (a quarter of it for runs under four minutes), with the RSS at whole minutes
(1, 2, 5, 10, 15, ...: a cache filling up flattens, a leak does not); and the issue's targets, met or missed.
VIDREC_MEMWATCH=file in the environment makes the server write where its memory goes (vidrec/server/memwatch.py).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil

REPO = Path(__file__).resolve().parent.parent
TARGET_P95_MS = 200.0  # issue 19: 50 shoppers, think 1 s, 10 minutes, query cache off
TARGET_MB_PER_MIN = 1.0
MEMORY_EVERY_S = 10.0

# A shopper's script: "@..." are buttons or answers, the rest what the shopper types; {slots} are filled at random
# per session, so texts repeat about as much as real ones do.
SCRIPTS = {
    "zh": ["推荐几件{season}穿的{what}", "@answer", "{critique}", "@reject", "第二个是什么材质的", "@like",
           "我想买一条{colour}的{item}，{price}元以内", "@answer", "再来一些", "@cart", "把第二个加入购物车"],
    "en": ["show me some {colour_en} {item_en}", "@answer", "{critique_en}", "@reject",
           "what is the second one made of?", "@like", "I need a {item_en} under {price}", "@answer", "more",
           "@cart", "add the first one to my cart"],
}
SLOTS = {
    "season": ["夏天", "冬天", "春秋", "上班", "运动时"], "what": ["衣服", "上衣", "东西", "外套"],
    "critique": ["便宜一点", "贵一点的", "颜色深一点", "有没有别的颜色", "换个款式"],
    "colour": ["红色", "黑色", "蓝色", "白色", "绿色", "灰色"], "item": ["裙子", "裤子", "连衣裙", "短裤", "衬衫", "帽子"],
    "price": ["100", "200", "300", "500", "80", "150"],
    "colour_en": ["red", "black", "blue", "white", "green", "grey"],
    "item_en": ["t-shirts", "dresses", "pants", "shorts", "shirts", "hats", "hoodies", "skirts"],
    "critique_en": ["something cheaper", "a bit more expensive", "darker please", "any other colours?",
                    "something more formal"],
}
BUTTONS = {"@reject": "reject", "@like": "like", "@cart": "cart"}


@dataclass
class Stats:
    turn_ms: dict[str, list[float]] = field(default_factory=lambda: {"message": [], "button": [], "thumbnail": []})
    requests: int = 0
    errors: int = 0
    error_kinds: dict[str, int] = field(default_factory=dict)
    sessions: int = 0

    def error(self, kind: str) -> None:
        self.errors += 1
        self.error_kinds[kind] = self.error_kinds.get(kind, 0) + 1

    @property
    def turns(self) -> list[float]:
        return self.turn_ms["message"] + self.turn_ms["button"]


def pct(values: list[float], p: float) -> float | None:
    if not values:
        return None
    s = sorted(values)
    k = min(len(s) - 1, max(0, round(p / 100 * (len(s) - 1))))
    return round(s[k], 1)


def latency(values: list[float]) -> dict:
    return {"n": len(values), "p50": pct(values, 50), "p95": pct(values, 95), "p99": pct(values, 99),
            "max": round(max(values), 1) if values else None}


async def request(client: httpx.AsyncClient, stats: Stats, method: str, url: str, *, kind: str | None = None, **kw):
    """One request; ``kind`` ("message" or "button") makes it a turn whose latency counts ("thumbnail": timed
    apart, not a turn)."""
    t0 = time.perf_counter()
    stats.requests += 1
    try:
        r = await client.request(method, url, **kw)
    except httpx.HTTPError as exc:
        stats.error(f"{type(exc).__name__} {method} {url.split('?')[0]}")
        return None
    if kind is not None:
        stats.turn_ms[kind].append((time.perf_counter() - t0) * 1000)
    if r.status_code >= 400:
        stats.error(f"HTTP {r.status_code} {method}")
        return None
    return r


async def shopper(n: int, base: str, stats: Stats, stop_at: float, think: float, seed: int) -> None:
    rng = random.Random(seed * 1000 + n)
    lang = "zh" if n % 2 == 0 else "en"
    h: dict[str, str] = {}  # the client token the server hands out with the first session; kept, like the page
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        while time.monotonic() < stop_at:
            r = await request(client, stats, "POST", "/v1/sessions", json={"user_id": f"bench-{seed}-{n}"}, headers=h)
            if r is None:
                await asyncio.sleep(1)
                continue
            stats.sessions += 1
            sid = r.json()["session_id"]
            if r.json().get("client_token"):
                h = {"Authorization": f"Bearer {r.json()['client_token']}"}
            last: dict = {}
            fill = {k: rng.choice(v) for k, v in SLOTS.items()}
            for step in SCRIPTS[lang]:
                if time.monotonic() >= stop_at:
                    return
                if think > 0:
                    await asyncio.sleep(rng.expovariate(1 / think))
                if step in BUTTONS:
                    shown = last.get("items") or []
                    if not shown:
                        continue
                    item = rng.choice(shown[:4])["id"]
                    await request(client, stats, "POST", "/v1/feedback", headers=h, kind="button",
                                  json={"session_id": sid, "item_id": item, "event": BUTTONS[step]})
                    continue
                text = step.format(**fill)
                if step == "@answer":
                    q = last.get("question") or {}
                    labels = q.get("labels") or q.get("options")
                    text = labels[0] if labels else ("再来一些" if lang == "zh" else "more")
                r = await request(client, stats, "POST", f"/v1/sessions/{sid}/messages", headers=h, kind="message",
                                  json={"text": text})
                if r is None:
                    continue
                turn = r.json()
                if turn.get("items"):
                    last = turn
                for item in turn.get("items", [])[:4]:  # the page loads the cards' thumbnails
                    await request(client, stats, "GET", item["thumbnail"], headers=h, kind="thumbnail")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ingest_demo(target: Path) -> Path:
    from vidrec.ingest import ingest

    summary = ingest(REPO / "examples" / "demo" / "catalog.csv", target, workers=2)
    if summary.failed:
        raise SystemExit(f"demo ingest failed for {len(summary.failed)} items: {summary.failed[:2]}")
    return target


def slope_mb_per_min(samples: list[tuple[float, float]]) -> float | None:
    """Least-squares slope of (seconds, MB) samples, in MB per minute."""
    if len(samples) < 3:
        return None
    xs = [t / 60 for t, _ in samples]
    ys = [m for _, m in samples]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return round(sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / den, 3) if den else None


def server_cpu_s(proc: psutil.Process) -> float:
    """CPU seconds (user + system) of the server and its children so far."""
    total = 0.0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except psutil.Error:
            pass
    return total


def rss_mb(proc: psutil.Process) -> float:
    return sum(p.memory_info().rss for p in [proc, *proc.children(recursive=True)]) / 2**20


async def sample_memory(proc: psutil.Process, started: float, stop_at: float, out: list[tuple[float, float, int]],
                        stats: Stats):
    """(seconds, MB, turns answered so far) every MEMORY_EVERY_S."""
    while True:
        try:
            out.append((time.monotonic() - started, rss_mb(proc), len(stats.turns)))
        except psutil.Error:
            return
        if time.monotonic() + MEMORY_EVERY_S > stop_at:
            return
        await asyncio.sleep(MEMORY_EVERY_S)


def kb_per_1000_turns(samples: list[tuple[float, float, int]]) -> float | None:
    """Least-squares slope of RSS against turns answered, in KB per 1,000 turns (memory per unit of work, which
    a loaded machine's lower turns/s does not change, unlike MB/min)."""
    if len(samples) < 3:
        return None
    xs = [n / 1000 for _, _, n in samples]
    ys = [m * 1024 for _, m, _ in samples]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return round(sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / den, 1) if den else None


def rss_at_minutes(samples: list[tuple[float, float, int]], minutes=(1, 2, 5, 10, 15, 20, 30)) -> dict[str, float]:
    """The RSS sample nearest each whole minute the run reached: the curve, to tell a cache filling up (it
    flattens) from a leak (it does not)."""
    out = {}
    for m in minutes:
        if samples and samples[-1][0] >= m * 60 - MEMORY_EVERY_S / 2:
            out[f"{m} min"] = round(min(samples, key=lambda s: abs(s[0] - m * 60))[1], 1)
    return out


async def load(base: str, proc: psutil.Process, shoppers: int, duration: float, think: float, seed: int) -> dict:
    stats = Stats()
    started = time.monotonic()
    stop_at = started + duration
    memory: list[tuple[float, float, int]] = []
    load_before = os.getloadavg()
    cpu_before = server_cpu_s(proc)
    client_before = time.process_time()
    mem_task = asyncio.create_task(sample_memory(proc, started, stop_at, memory, stats))
    await asyncio.gather(*[shopper(n, base, stats, stop_at, think, seed) for n in range(shoppers)])
    await mem_task
    elapsed = time.monotonic() - started
    server_cpu = server_cpu_s(proc) - cpu_before
    client_cpu = time.process_time() - client_before
    memory.append((elapsed, rss_mb(proc), len(stats.turns)))
    settle = 60.0 if duration >= 240 else duration / 4
    turns = stats.turns
    return {
        "shoppers": shoppers, "think_mean_s": think, "duration_s": round(elapsed, 1),
        "turns": len(turns), "sessions": stats.sessions, "requests": stats.requests,
        "turns_per_s": round(len(turns) / elapsed, 2), "requests_per_s": round(stats.requests / elapsed, 2),
        # the server's own CPU (all its threads) per turn of this workload, sessions, thumbnails and buttons
        # included: what a shared machine's wall clock cannot say. 2 cores' worth of it is the server's capacity
        # on 2 cores, if nothing else ran there and its threads used both (a bound: the GIL serialises Python)
        "server_cpu_s": round(server_cpu, 2),
        "server_cpu_ms_per_turn": round(1000 * server_cpu / len(turns), 2) if turns else None,
        "capacity_turns_per_s_2_cores": round(2 * len(turns) / server_cpu, 1) if server_cpu > 0 else None,
        # the simulated shoppers' own CPU (this process): on the same cores it is CPU the server did not get
        "client_cpu_ms_per_turn": round(1000 * client_cpu / len(turns), 2) if turns else None,
        "turn_ms": latency(turns), "message_ms": latency(stats.turn_ms["message"]),
        "button_ms": latency(stats.turn_ms["button"]),
        # not a turn: the page's thumbnail requests (time a shopper waits between turns, in this closed loop)
        "thumbnail_ms": latency(stats.turn_ms["thumbnail"]),
        "errors": stats.errors, "error_kinds": stats.error_kinds,
        "rss_mb": {"first": round(memory[0][1], 1), "last": round(memory[-1][1], 1),
                   "max": round(max(m for _, m, _ in memory), 1),
                   "slope_mb_per_min": slope_mb_per_min([(t, m) for t, m, _ in memory if t >= settle]),
                   "kb_per_1000_turns": kb_per_1000_turns([s for s in memory if s[0] >= settle]),
                   "slope_from_s": settle, "at": rss_at_minutes(memory)},
        "memory_samples": [(round(t, 1), round(m, 1), n) for t, m, n in memory],
        "loadavg_before": [round(x, 2) for x in load_before], "loadavg_after": [round(x, 2) for x in os.getloadavg()],
        "cpus": os.cpu_count(),
    }


class Server:
    """`vidrec serve` on a store, in a child process, with the per-caller limits off (the simulated shoppers share
    one address and may run without think time: the limits would measure themselves, not the server)."""

    def __init__(self, store: Path, work: Path, cache: bool, tree: Path = REPO, site: Path | None = None):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = work / f"server-cache-{'on' if cache else 'off'}.log"
        env = {**os.environ, "VIDREC_RATE_LIMIT": "0", "VIDREC_MAX_SESSIONS": "0", "PYTHONUNBUFFERED": "1",
               "VIDREC_QUERY_CACHE": os.environ.get("VIDREC_QUERY_CACHE", "4096") if cache else "0"}
        env.pop("VIDREC_API_KEYS", None)
        if tree != REPO:  # another checkout's server (a baseline), on the same store and load
            env["PYTHONPATH"] = str(tree)
        if site is not None:  # packages to try in the server only (pip install --target DIR ...)
            env["PYTHONPATH"] = os.pathsep.join(p for p in (env.get("PYTHONPATH"), str(site)) if p)
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([sys.executable, "-m", "vidrec.cli", "serve", "--store", str(store), "--port",
                                      str(self.port)], stdout=self._log, stderr=subprocess.STDOUT, env=env,
                                     cwd=str(tree))

    def wait_ready(self, timeout: float = 300) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                r = httpx.get(f"{self.base}/readyz", timeout=5)
                if r.status_code == 200:
                    return r.json()
            except httpx.HTTPError:
                pass
            if self.proc.poll() is not None:
                raise SystemExit(f"the server exited: {self.log_path.read_text()[-2000:]}")
            time.sleep(0.5)
        raise SystemExit(f"the server was not ready after {timeout:.0f} s: {self.log_path.read_text()[-2000:]}")

    def logged_errors(self) -> list[str]:
        return [line for line in self.log_path.read_text(errors="replace").splitlines()
                if '"level": "error"' in line or "Traceback" in line]

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._log.close()


def run_one(store: Path, work: Path, cache: bool, args) -> dict:
    think = 0.0 if args.saturate else args.think
    server = Server(store, work, cache, args.tree.resolve() if args.tree else REPO,
                    args.site.resolve() if args.site else None)
    try:
        ready = server.wait_ready()
        proc = psutil.Process(server.proc.pid)
        print(f"cache {'on' if cache else 'off'}: warm-up {args.warmup:.0f} s with 2 shoppers...", file=sys.stderr)
        asyncio.run(load(server.base, proc, 2, args.warmup, max(think, 0.2), args.seed + 1000))
        print(f"cache {'on' if cache else 'off'}: {args.shoppers} shoppers, think {think} s, {args.duration:.0f} s...",
              file=sys.stderr)
        spy = None
        if args.py_spy:  # sample the server's stacks while it is measured (py-spy's "raw" collapsed stacks)
            out = args.py_spy.with_suffix(f".cache-{'on' if cache else 'off'}.txt")
            spy = subprocess.Popen([os.environ.get("PY_SPY", "py-spy"), "record", "--nonblocking", "-r", "100",
                                    *os.environ.get("PY_SPY_ARGS", "").split(),  # e.g. --gil
                                    "-f", "raw", "-o", str(out), "-d", str(int(args.duration)), "-p",
                                    str(server.proc.pid)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        result = asyncio.run(load(server.base, proc, args.shoppers, args.duration, think, args.seed))
        if spy is not None:
            spy.wait(60)
        ready_after = httpx.get(f"{server.base}/readyz", timeout=30).json()
        result["query_cache"] = ready_after.get("query_cache")
        result["query_memo"] = ready_after.get("query_memo")  # each session's own last query (not shared)
    finally:
        server.stop()
    result["server_errors_logged"] = server.logged_errors()[:5]
    result["store_items"] = ready["items"]
    return {"cache": "on" if cache else "off", "mode": "saturate" if args.saturate else "soak", **result}


def verdict(run: dict) -> list[str]:
    """The issue's numbers for one run, and its targets met or missed (targets apply to the cache-off soak)."""
    t = run["turn_ms"]
    rss = run["rss_mb"]
    memo = "on" if run.get("query_memo") is not None else "off"
    lines = [f"cache {run['cache']} (session memo {memo}), {run['mode']}: {run['shoppers']} shoppers, think {run['think_mean_s']} s, "
             f"{run['duration_s']:.0f} s, load average {run['loadavg_before'][0]} -> {run['loadavg_after'][0]}",
             f"  {run['turns']} turns ({run['turns_per_s']} turns/s), {run['requests']} requests, "
             f"{run['errors']} errors {run['error_kinds'] or ''}",
             f"  turn p50/p95/p99/max {t['p50']}/{t['p95']}/{t['p99']}/{t['max']} ms "
             f"(messages p95 {run['message_ms']['p95']}, buttons p95 {run['button_ms']['p95']}; thumbnails p50/p95 "
             f"{(run.get('thumbnail_ms') or {}).get('p50')}/{(run.get('thumbnail_ms') or {}).get('p95')})",
             f"  server RSS {rss['first']} -> {rss['last']} MB (max {rss['max']}), "
             f"{rss['slope_mb_per_min']} MB/min ({rss['kb_per_1000_turns']} KB per 1,000 turns) after "
             f"{rss['slope_from_s']:.0f} s; at {rss['at']}"]
    if run.get("server_cpu_ms_per_turn") is not None:
        lines.append(f"  server CPU {run['server_cpu_ms_per_turn']} ms per turn: capacity on 2 cores "
                     f"{run['capacity_turns_per_s_2_cores']} turns/s (the shoppers' client: "
                     f"{run.get('client_cpu_ms_per_turn')} CPU-ms per turn)")
    if run["mode"] == "soak" and run["cache"] == "off":
        checks = [("0 errors", run["errors"] == 0 and not run["server_errors_logged"]),
                  (f"p95 turn <= {TARGET_P95_MS:.0f} ms", t["p95"] is not None and t["p95"] <= TARGET_P95_MS),
                  (f"memory <= {TARGET_MB_PER_MIN} MB/min", rss["slope_mb_per_min"] is not None
                   and rss["slope_mb_per_min"] <= TARGET_MB_PER_MIN)]
        lines.append("  targets: " + ", ".join(f"{name} {'met' if ok else 'MISSED'}" for name, ok in checks))
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--store", type=Path, help="an ingested store (copied; the original is not touched)")
    ap.add_argument("--ingest-demo", action="store_true", help="ingest examples/demo into a temporary store first")
    ap.add_argument("--shoppers", type=int, default=50)
    ap.add_argument("--duration", type=float, default=600.0, help="seconds of load (default 600)")
    ap.add_argument("--think", type=float, default=1.0, help="mean think time between a shopper's turns (s)")
    ap.add_argument("--cache", choices=("on", "off", "both"), default="off",
                    help="the server's query-embedding cache (default off, as the issue's soak asks)")
    ap.add_argument("--no-query-cache", dest="cache", action="store_const", const="off",
                    help=argparse.SUPPRESS)  # the older spelling of --cache off
    ap.add_argument("--saturate", action="store_true", help="no think time: the most turns per second")
    ap.add_argument("--warmup", type=float, default=20.0, help="seconds of light load before measuring")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--site", type=Path, help="a folder of packages the server also imports (after --tree), e.g. "
                    "one made with `pip install --target DIR httptools uvloop` to measure them before adding them")
    ap.add_argument("--tree", type=Path, help="serve with the code of this checkout (e.g. a baseline worktree); "
                                              "default this repository")
    ap.add_argument("--py-spy", type=Path, help="sample the server with py-spy (PY_SPY: its path, PY_SPY_ARGS: more "
                                                "options, e.g. --gil) during the "
                                                "measured load; collapsed stacks to FILE.cache-<on|off>.txt")
    ap.add_argument("--out", type=Path, help="write the results as JSON here (default bench/results/"
                                             "server-<soak|saturate>-cache-<on|off|both>.json)")
    args = ap.parse_args()
    if not args.store and not args.ingest_demo:
        ap.error("give --store STORE or --ingest-demo")
    if args.store and not (args.store / "vidrec.sqlite").exists():
        ap.error(f"{args.store} is not a vidrec store (no vidrec.sqlite); ingest a catalog into it first")
    if args.shoppers < 1 or args.duration <= 0 or args.think < 0:
        ap.error("--shoppers must be 1 or more, --duration more than 0 and --think 0 or more")
    mode = "saturate" if args.saturate else "soak"
    out = args.out or REPO / "bench" / "results" / f"server-{mode}-cache-{args.cache}.json"

    work = Path(tempfile.mkdtemp(prefix="vidrec-bench-"))
    try:
        store = work / "store"
        if args.ingest_demo:
            print("ingesting examples/demo (real models)...", file=sys.stderr)
            ingest_demo(store)
        else:
            shutil.copytree(args.store, store, ignore=shutil.ignore_patterns("write.lock", ".server*", "thumbnails"))
        runs = []
        for cache in {"off": [False], "on": [True], "both": [False, True]}[args.cache]:
            run_store = work / f"store-{cache}"
            shutil.copytree(store, run_store)  # each run starts from the same store (sessions are written)
            runs.append(run_one(run_store, work, cache, args))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    result = {"command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
              "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "runs": runs}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    for run in runs:
        print("\n".join(verdict(run)))
    print(f"written: {out}")


if __name__ == "__main__":
    main()
