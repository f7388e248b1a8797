"""Load test of `vidrec serve`: N simulated shoppers chatting at once on loopback, for a bounded time.

    python bench/bench_server.py --store STORE [--shoppers 50] [--duration 120] [--think 1.0] [--out FILE]
    python bench/bench_server.py --ingest-demo ...      # ingest examples/demo first (real models, minutes)

It starts a real `vidrec serve` process on the store (a copy, so the store is left as it was), then runs N shoppers
as asyncio tasks. Each shopper starts a session and follows a multi-turn script in Chinese or English — a request,
answering the clarifying question with its first option, a critique ("cheaper"), "not this" by button (feedback
endpoint), a question about an item, add to cart — loading the thumbnails of the cards it is shown, waiting a think
time (exponential, mean --think seconds) between turns, and starting over when the script ends.

Reported: turns per second, requests per second, p50/p95/p99/max latency of chat turns (and of every request),
the error rate (any non-2xx or transport error), and the server's resident memory sampled every 5 s with its
growth over the run (a least-squares slope in MB per minute over the second half, after warm-up).
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
# A shopper's script; {slots} are filled at random per session, so texts repeat about as much as real ones do.
SCRIPTS = {
    "zh": ["推荐几件{season}穿的{what}", "@answer", "{critique}", "@reject", "第二个是什么材质的", "把第二个加入购物车",
           "我想买一条{colour}的{item}，{price}元以内", "@answer", "再来一些"],
    "en": ["show me some {colour_en} {item_en}", "@answer", "{critique_en}", "@reject",
           "what is the second one made of?", "add the first one to my cart", "I need a {item_en} under {price}",
           "@answer", "more"],
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


@dataclass
class Stats:
    turn_ms: list[float] = field(default_factory=list)
    request_ms: list[float] = field(default_factory=list)
    requests: int = 0
    errors: int = 0
    error_kinds: dict[str, int] = field(default_factory=dict)
    turns: int = 0

    def error(self, kind: str) -> None:
        self.errors += 1
        self.error_kinds[kind] = self.error_kinds.get(kind, 0) + 1


def pct(values: list[float], p: float) -> float | None:
    if not values:
        return None
    s = sorted(values)
    k = min(len(s) - 1, max(0, round(p / 100 * (len(s) - 1))))
    return round(s[k], 1)


async def request(client: httpx.AsyncClient, stats: Stats, method: str, url: str, *, turn: bool = False, **kw):
    t0 = time.perf_counter()
    try:
        r = await client.request(method, url, **kw)
    except httpx.HTTPError as exc:
        stats.requests += 1
        stats.error(type(exc).__name__)
        return None
    ms = (time.perf_counter() - t0) * 1000
    stats.requests += 1
    stats.request_ms.append(ms)
    if turn:
        stats.turn_ms.append(ms)
        stats.turns += 1
    if r.status_code >= 400:
        stats.error(f"HTTP {r.status_code}")
        return None
    return r


async def shopper(n: int, base: str, stats: Stats, stop_at: float, think: float, seed: int) -> None:
    rng = random.Random(seed + n)
    lang = "zh" if n % 2 == 0 else "en"
    h: dict[str, str] = {}  # the client token the server hands out with the first session; kept, like the page
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        while time.monotonic() < stop_at:
            r = await request(client, stats, "POST", "/v1/sessions", json={"user_id": f"bench-{seed}-{n}"}, headers=h)
            if r is None:
                await asyncio.sleep(1)
                continue
            sid = r.json()["session_id"]
            if r.json().get("client_token"):
                h = {"Authorization": f"Bearer {r.json()['client_token']}"}
            last: dict = {}
            fill = {k: rng.choice(v) for k, v in SLOTS.items()}
            for step in SCRIPTS[lang]:
                if time.monotonic() >= stop_at:
                    return
                await asyncio.sleep(rng.expovariate(1 / think) if think > 0 else 0)
                if step == "@reject":
                    if not last.get("items"):
                        continue
                    await request(client, stats, "POST", "/v1/feedback", headers=h, turn=True,
                                  json={"session_id": sid, "item_id": last["items"][0]["id"], "event": "reject"})
                    continue
                text = step.format(**fill)
                if step == "@answer":
                    q = last.get("question") or {}
                    labels = q.get("labels") or q.get("options")
                    text = labels[0] if labels else ("再来一些" if lang == "zh" else "more")
                r = await request(client, stats, "POST", f"/v1/sessions/{sid}/messages", headers=h, turn=True,
                                  json={"text": text})
                if r is None:
                    continue
                last = r.json()
                for item in last.get("items", [])[:4]:  # the page loads the cards' thumbnails
                    await request(client, stats, "GET", item["thumbnail"])


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


def regress_mb_per_min(samples: list[tuple[float, float]]) -> float | None:
    if len(samples) < 3:
        return None
    xs = [t / 60 for t, _ in samples]
    ys = [m for _, m in samples]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return round(sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / den, 3) if den else None


async def sample_memory(proc: psutil.Process, started: float, stop_at: float, out: list[tuple[float, float]]):
    while time.monotonic() < stop_at:
        try:
            rss = sum(p.memory_info().rss for p in [proc, *proc.children(recursive=True)])
        except psutil.Error:
            return
        out.append((time.monotonic() - started, rss / 2**20))
        await asyncio.sleep(5)


async def run(base: str, proc: psutil.Process, shoppers: int, duration: float, think: float, seed: int) -> dict:
    stats = Stats()
    started = time.monotonic()
    stop_at = started + duration
    memory: list[tuple[float, float]] = []
    load_before = os.getloadavg()
    tasks = [asyncio.create_task(shopper(n, base, stats, stop_at, think, seed)) for n in range(shoppers)]
    mem_task = asyncio.create_task(sample_memory(proc, started, stop_at, memory))
    await asyncio.gather(*tasks)
    await mem_task
    elapsed = time.monotonic() - started
    half = [s for s in memory if s[0] >= duration / 2]
    return {
        "shoppers": shoppers, "duration_s": round(elapsed, 1), "think_mean_s": think,
        "turns": stats.turns, "requests": stats.requests,
        "turns_per_s": round(stats.turns / elapsed, 2), "requests_per_s": round(stats.requests / elapsed, 2),
        "turn_ms": {"p50": pct(stats.turn_ms, 50), "p95": pct(stats.turn_ms, 95), "p99": pct(stats.turn_ms, 99),
                    "max": round(max(stats.turn_ms), 1) if stats.turn_ms else None},
        "request_ms": {"p50": pct(stats.request_ms, 50), "p95": pct(stats.request_ms, 95),
                       "p99": pct(stats.request_ms, 99)},
        "errors": stats.errors, "error_rate": round(stats.errors / max(1, stats.requests), 5),
        "error_kinds": stats.error_kinds,
        "rss_mb": {"first": round(memory[0][1], 1) if memory else None,
                   "last": round(memory[-1][1], 1) if memory else None,
                   "max": round(max(m for _, m in memory), 1) if memory else None,
                   "slope_second_half_mb_per_min": regress_mb_per_min(half)},
        "memory_samples": [(round(t, 1), round(m, 1)) for t, m in memory],
        "loadavg_before": [round(x, 2) for x in load_before], "loadavg_after": [round(x, 2) for x in os.getloadavg()],
        "cpus": os.cpu_count(),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--store", type=Path, help="an ingested store (copied; the original is not touched)")
    ap.add_argument("--ingest-demo", action="store_true", help="ingest examples/demo into a temporary store first")
    ap.add_argument("--shoppers", type=int, default=50)
    ap.add_argument("--duration", type=float, default=120.0, help="seconds of load")
    ap.add_argument("--think", type=float, default=1.0, help="mean think time between a shopper's turns (s)")
    ap.add_argument("--warmup", type=float, default=20.0, help="seconds of light load before measuring")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-query-cache", action="store_true", help="run the server with VIDREC_QUERY_CACHE=0")
    ap.add_argument("--out", type=Path, help="write the results as JSON here")
    args = ap.parse_args()
    if not args.store and not args.ingest_demo:
        ap.error("give --store STORE or --ingest-demo")

    work = Path(tempfile.mkdtemp(prefix="vidrec-bench-"))
    store = work / "store"
    if args.ingest_demo:
        print("ingesting examples/demo (real models)...", file=sys.stderr)
        ingest_demo(store)
    else:
        shutil.copytree(args.store, store, ignore=shutil.ignore_patterns("write.lock", ".server*", "thumbnails"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = open(work / "server.log", "wb")
    # the simulated shoppers share one address and may run without think time: the per-caller limits would
    # measure themselves, not the server (a caller can set them with the same variables)
    env = {"VIDREC_RATE_LIMIT": "0", "VIDREC_MAX_SESSIONS": "0", **os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("VIDREC_API_KEYS", None)
    if args.no_query_cache:
        env["VIDREC_QUERY_CACHE"] = "0"
    server = subprocess.Popen([sys.executable, "-m", "vidrec.cli", "serve", "--store", str(store), "--port",
                               str(port)], stdout=log, stderr=subprocess.STDOUT, env=env, cwd=str(REPO))
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None:
                raise SystemExit(f"server exited: {(work / 'server.log').read_text()[-2000:]}")
            time.sleep(0.5)
        proc = psutil.Process(server.pid)
        items = httpx.get(f"{base}/readyz", timeout=10).json()["items"]
        print(f"warm-up {args.warmup:.0f} s with 2 shoppers...", file=sys.stderr)
        asyncio.run(run(base, proc, 2, args.warmup, args.think, args.seed + 1000))
        print(f"{args.shoppers} shoppers for {args.duration:.0f} s...", file=sys.stderr)
        result = asyncio.run(run(base, proc, args.shoppers, args.duration, args.think, args.seed))
        result["query_cache"] = httpx.get(f"{base}/readyz", timeout=30).json().get("query_cache")
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
    result["store_items"] = items
    text = json.dumps(result, ensure_ascii=False, indent=1)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n", encoding="utf-8")
    summary = {k: v for k, v in result.items() if k != "memory_samples"}
    print(json.dumps(summary, ensure_ascii=False, indent=1))
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
