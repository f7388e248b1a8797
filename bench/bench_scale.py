"""Scale-out benchmark: vector indexes at up to 1M items, and Ray vs local ingest throughput.

    nice -n 10 .venv/bin/python bench/bench_scale.py index --sizes 100000 1000000 --backends faiss-flat faiss-ivf
    nice -n 10 .venv/bin/python bench/bench_scale.py index --sizes 100000 300000 --backends faiss-hnsw milvus-lite
    nice -n 10 .venv/bin/python bench/bench_scale.py ingest --items 6

``index``: synthetic 384-d unit vectors around 50 category centres with catalog-like payloads (50 categories,
40 colours with 1-3 per item, 200 brands, 3 genders, log-normal prices; the generator of bench/bench_index.py).
Per backend and size: build time (wall and CPU seconds of this process; Milvus Lite runs its server in a child
process, whose CPU is added), memory (RSS growth of this process plus the Milvus Lite server's RSS), and per
filter: share kept, latency p50/p95 (one query at a time, k=10) and recall@10 against exact brute force (numpy)
over the vectors that meet the filter.

Backends: ``faiss-flat`` (FaissIndex kept exact), ``faiss-ivf`` (FaissIndex as shipped: IVF past 50k),
``faiss-hnsw`` (faiss IndexHNSWFlat M=32, efConstruction=40, efSearch=64, filters as the same id bitmap passed
through SearchParametersHNSW; not wired into FaissIndex) and ``milvus-lite`` (MilvusIndex on a Milvus Lite file,
FLAT, filters as Milvus expressions).

``ray-scaling``: the Ray runner on a local Ray with 1 CPU and with 2 (one actor per CPU), the same videos,
alternating: wall and CPU seconds, cores kept busy, video seconds per wall second, and the speed-up.

``ingest``: the first N demo videos (examples/demo, speech on) ingested into a new store by the local runner with
2 worker processes, then by the Ray runner on a local Ray with 2 CPUs (start-up timed apart): videos per minute.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_index import CATEGORIES, COLORS, make_catalog, make_queries  # noqa: E402

from vidrec.store.vector_index import Filter  # noqa: E402


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def child_stats() -> tuple[float, float]:
    """(RSS MB, CPU seconds) of this process's children still running (the Milvus Lite server)."""
    try:
        import psutil
    except ImportError:  # pragma: no cover
        return 0.0, 0.0
    rss = cpu = 0.0
    for child in psutil.Process().children(recursive=True):
        try:
            rss += child.memory_info().rss / 2**20
            t = child.cpu_times()
            cpu += t.user + t.system
        except psutil.Error:
            pass
    return rss, cpu


def cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def filters(price: np.ndarray) -> dict[str, tuple[Filter, str]]:
    lo, hi = np.percentile(price, [40, 45])
    return {
        "none": (Filter(), "—"),
        "category (1 of 50)": (Filter(category={CATEGORIES[3]}), "2 %"),
        "colour any of 2": (Filter(colors_any={COLORS[1], COLORS[2]}), "~10 %"),
        "brand (3 of 200)": (Filter(brand={"brand-1", "brand-2", "brand-3"}), "1.5 %"),
        "price range (5 % band)": (Filter(price_min=float(lo), price_max=float(hi)), "5 %"),
        "category+colour+price": (
            Filter(
                category={f"category-{i}" for i in range(10)},
                colors_any={f"color-{i}" for i in range(12)},
                price_max=float(np.percentile(price, 50)),
            ),
            "~6 %",
        ),
    }


def masks(flts, payloads, n) -> dict[str, np.ndarray]:
    out = {}
    for name, (f, _) in flts.items():
        out[name] = (
            np.ones(n, bool)
            if f.is_empty()
            else np.fromiter((f.matches(str(i), p) for i, p in enumerate(payloads)), bool, n)
        )
    return out


def exact_top(vectors: np.ndarray, q: np.ndarray, mask: np.ndarray, k: int) -> set[int]:
    scores = vectors @ q
    scores[~mask] = -np.inf
    top = np.argpartition(-scores, k)[:k]
    return {int(i) for i in top if np.isfinite(scores[i])}


class HNSW:
    """faiss HNSW with the same filter bitmaps FaissIndex uses (for comparison; not a vidrec backend)."""

    def __init__(self, dim: int, m: int = 32, ef_construction: int = 40, ef_search: int = 64):
        import faiss

        self.faiss = faiss
        self.index = faiss.IndexHNSWFlat(dim, m, faiss.METRIC_INNER_PRODUCT)
        self.index.hnsw.efConstruction = ef_construction
        self.ef_search = ef_search

    def add(self, vectors: np.ndarray) -> None:
        self.index.add(vectors)

    def search(self, q: np.ndarray, k: int, mask: np.ndarray | None) -> list[int]:
        faiss = self.faiss
        params = faiss.SearchParametersHNSW(efSearch=self.ef_search)
        if mask is not None:
            bits = np.packbits(mask, bitorder="little")
            params.sel = faiss.IDSelectorBitmap(len(mask), faiss.swig_ptr(bits))
        _, labels = self.index.search(q[None, :], k, params=params)
        return [int(i) for i in labels[0] if i >= 0]


def bench_index(
    backend: str, n: int, dim: int, nq: int, k: int, threads: int, workdir: Path, milvus_queries: int
) -> list[dict]:
    import faiss

    faiss.omp_set_num_threads(threads)
    t0 = time.perf_counter()
    vectors, payloads, _, _, price = make_catalog(n, dim, seed=0)
    queries = make_queries(nq, dim, seed=1)
    flts = filters(price)
    print(f"[{backend} {n}] data in {time.perf_counter() - t0:.0f} s", flush=True)
    mk = masks(flts, payloads, n)
    ids = [str(i) for i in range(n)]
    rss0, (crss0, ccpu0) = rss_mb(), child_stats()
    c0, t0 = cpu_s(), time.perf_counter()
    index = None
    if backend == "faiss-flat":
        from vidrec.store.faiss_index import FaissIndex

        index = FaissIndex(dim, ivf_threshold=10**12, hnsw_threshold=None, build_threads=threads)
    elif backend == "faiss-ivf":
        from vidrec.store.faiss_index import FaissIndex

        index = FaissIndex(dim, build_threads=threads, hnsw_threshold=None)
    elif backend == "milvus-lite":
        from vidrec.store.milvus_index import MilvusIndex

        index = MilvusIndex(dim, workdir / f"bench-{n}.db")
    if backend == "faiss-hnsw":
        hnsw = HNSW(dim)
        for s in range(0, n, 10_000):
            hnsw.add(vectors[s : s + 10_000])
    else:
        batch = 10_000
        for s in range(0, n, batch):
            index.add(ids[s : s + batch], vectors[s : s + batch], payloads[s : s + batch])
            if backend == "milvus-lite" and s % 100_000 == 0:
                print(f"  {s + batch} inserted, {time.perf_counter() - t0:.0f} s", flush=True)
        if backend == "milvus-lite":
            index.save()
    build_wall, build_cpu = time.perf_counter() - t0, cpu_s() - c0
    crss, ccpu = child_stats()
    mem = rss_mb() - rss0 + max(0.0, crss - crss0)
    build_cpu += max(0.0, ccpu - ccpu0)
    print(f"[{backend} {n}] built in {build_wall:.0f} s (cpu {build_cpu:.0f} s), +{mem:.0f} MB", flush=True)
    rows = []
    for name, (f, _) in flts.items():
        mask = mk[name]
        lat, recalls = [], []
        for q in queries[: milvus_queries if backend == "milvus-lite" else None]:
            truth = exact_top(vectors, q, mask, k)
            t = time.perf_counter()
            if backend == "faiss-hnsw":
                got = set(hnsw.search(q, k, None if f.is_empty() else mask))
            else:
                got = {int(vid) for vid, _ in index.search(q, k, f)}
            lat.append((time.perf_counter() - t) * 1000)
            recalls.append(len(got & truth) / max(1, min(k, len(truth))))
        rows.append(
            {
                "backend": backend,
                "n": n,
                "filter": name,
                "kept": round(float(mask.mean()) * 100, 2),
                "p50_ms": round(float(np.percentile(lat, 50)), 2),
                "p95_ms": round(float(np.percentile(lat, 95)), 2),
                "recall10": round(float(np.mean(recalls)), 3),
                "build_s": round(build_wall, 1),
                "build_cpu_s": round(build_cpu, 1),
                "memory_mb": round(mem),
                "queries": len(lat),
            }
        )
        print(json.dumps(rows[-1]), flush=True)
    if backend == "milvus-lite":
        index.close()
    return rows


class ActorCpu:
    """Samples the CPU seconds of Ray's `ray::VideoAnalyser` processes every second (they end with the run)."""

    def __init__(self) -> None:
        import threading

        self.seen: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        import psutil

        while not self._stop.wait(1.0):
            for proc in psutil.process_iter(["cmdline"]):
                try:
                    if any("VideoAnalyser" in part for part in proc.info["cmdline"] or []):
                        t = proc.cpu_times()
                        self.seen[proc.pid] = max(self.seen.get(proc.pid, 0.0), t.user + t.system)
                except psutil.Error:
                    pass

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return sum(self.seen.values())


def bench_ingest(items: int, workers: int) -> dict:
    import shutil

    from vidrec.catalog import sample_catalog
    from vidrec.config import IngestSettings
    from vidrec.ingest import ingest

    demo = ROOT / "examples" / "demo"
    work = Path(tempfile.mkdtemp(prefix="vidrec-bench-scale-"))
    catalog, _ = sample_catalog(demo / "catalog.csv", work, items)
    settings = IngestSettings(speech=True)
    out = {"items": items, "workers": workers}
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    k0 = kids.ru_utime + kids.ru_stime
    c0, t0 = cpu_s(), time.perf_counter()
    local = ingest(catalog, work / "local", settings=settings, workers=workers)
    out["local_s"] = round(time.perf_counter() - t0, 1)
    out["local_cpu_s_driver"] = round(cpu_s() - c0, 1)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    out["local_cpu_s_workers"] = round(kids.ru_utime + kids.ru_stime - k0, 1)
    out["local_video_s"] = local.video_seconds
    import ray

    t0 = time.perf_counter()
    ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False)
    out["ray_start_s"] = round(time.perf_counter() - t0, 1)
    actors = ActorCpu()
    c0, t0 = cpu_s(), time.perf_counter()
    remote = ingest(catalog, work / "ray", settings=settings, workers=workers, ray="auto")
    out["ray_s"] = round(time.perf_counter() - t0, 1)
    out["ray_cpu_s_driver"] = round(cpu_s() - c0, 1)
    out["ray_cpu_s_actors"] = round(actors.stop(), 1)
    ray.shutdown()
    assert local.ingested == remote.ingested == items, (local.failed, remote.failed)
    out["local_videos_per_min"] = round(items / out["local_s"] * 60, 2)
    out["ray_videos_per_min"] = round(items / out["ray_s"] * 60, 2)
    shutil.rmtree(work, ignore_errors=True)
    return out


def bench_ray_scaling(items: int, worker_counts: list[int], rounds: int) -> dict:
    """The Ray runner on a local Ray with 1 and with 2 CPUs (one actor each), the same first ``items`` demo videos
    into a new store each time, alternating the order per round: wall seconds, CPU seconds of the actors (sampled
    each second) and of this driver, their ratio (cores kept busy on average) and video seconds per wall second.
    The load average before and after each run says what else the machine did meanwhile."""
    import shutil

    import ray

    from vidrec.catalog import sample_catalog
    from vidrec.config import IngestSettings
    from vidrec.ingest import ingest

    # Ray starts its workers at nice 15 unless told otherwise: on a machine where anything else runs, the workers
    # would then measure the other jobs' share of the cores, not how the runner scales
    os.environ.setdefault("RAY_worker_niceness", "0")
    demo = ROOT / "examples" / "demo"
    work = Path(tempfile.mkdtemp(prefix="vidrec-bench-ray-"))
    catalog, _ = sample_catalog(demo / "catalog.csv", work, items)
    runs = []
    try:
        for r in range(rounds):
            for workers in (worker_counts if r % 2 == 0 else worker_counts[::-1]):
                load0 = os.getloadavg()[0]
                ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False)
                actors = ActorCpu()
                c0, t0 = cpu_s(), time.perf_counter()
                summary = ingest(catalog, work / f"ray-{r}-{workers}", settings=IngestSettings(speech=True),
                                 workers=workers, ray="auto")
                wall = time.perf_counter() - t0
                driver, actor = cpu_s() - c0, actors.stop()
                ray.shutdown()
                if summary.ingested != items:
                    raise SystemExit(f"error: the Ray run ingested {summary.ingested} of {items}: {summary.failed}")
                cpu = driver + actor
                runs.append({"round": r, "workers": workers, "wall_s": round(wall, 1), "cpu_s_actors": round(actor, 1),
                             "cpu_s_driver": round(driver, 1), "cpu_over_wall": round(cpu / wall, 2),
                             "video_s": round(summary.video_seconds, 1),
                             "video_s_per_wall_s": round(summary.video_seconds / wall, 3),
                             "load_before": round(load0, 2), "load_after": round(os.getloadavg()[0], 2)})
                print(json.dumps(runs[-1]), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    totals = {}
    for workers in worker_counts:
        mine = [x for x in runs if x["workers"] == workers]
        wall = sum(x["wall_s"] for x in mine)
        totals[workers] = {"runs": len(mine), "wall_s": round(wall, 1),
                           "cpu_over_wall": round(sum(x["cpu_s_actors"] + x["cpu_s_driver"] for x in mine) / wall, 2),
                           "video_s_per_wall_s": round(sum(x["video_s"] for x in mine) / wall, 3),
                           "cpu_s_actors_per_run": round(sum(x["cpu_s_actors"] for x in mine) / len(mine), 1)}
    lo, hi = min(worker_counts), max(worker_counts)
    return {"items": items, "runs": runs, "totals": totals,
            "speedup": round(totals[hi]["video_s_per_wall_s"] / totals[lo]["video_s_per_wall_s"], 2),
            "cpus": os.cpu_count()}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="what", required=True)
    p = sub.add_parser("index")
    p.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    p.add_argument("--backends", nargs="+", default=["faiss-flat", "faiss-ivf", "faiss-hnsw", "milvus-lite"])
    p.add_argument("--dim", type=int, default=384)
    p.add_argument("--queries", type=int, default=100)
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--milvus-queries", type=int, default=20, help="queries per filter on Milvus Lite (slow)")
    p.add_argument("--threads", type=int, default=1, help="faiss build/search threads")
    p.add_argument("--json", type=Path)
    q = sub.add_parser("ingest")
    q.add_argument("--items", type=int, default=6)
    q.add_argument("--workers", type=int, default=2)
    q.add_argument("--json", type=Path)
    rs = sub.add_parser("ray-scaling", help="the Ray runner with 1 and 2 local CPUs on the same videos")
    rs.add_argument("--items", type=int, default=8)
    rs.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    rs.add_argument("--rounds", type=int, default=2)
    rs.add_argument("--json", type=Path)
    args = parser.parse_args()
    print(
        f"# {platform.machine()}, {os.cpu_count()} cores, load {os.getloadavg()}, {time.strftime('%Y-%m-%d')}"
    )
    if args.what == "index":
        rows = []
        with tempfile.TemporaryDirectory(prefix="vidrec-bench-scale-") as tmp:
            for n in args.sizes:
                for b in args.backends:
                    rows += bench_index(
                        b, n, args.dim, args.queries, args.k, args.threads, Path(tmp), args.milvus_queries
                    )
        result: object = rows
    elif args.what == "ray-scaling":
        if args.items < 1 or args.rounds < 1 or len(args.workers) < 2 or min(args.workers) < 1:
            parser.error("--items and --rounds must be 1 or more, --workers two or more counts of 1 or more")
        result = bench_ray_scaling(args.items, args.workers, args.rounds)
        print(json.dumps({k: v for k, v in result.items() if k != "runs"}))
    else:
        result = bench_ingest(args.items, args.workers)
        print(json.dumps(result))
    print(f"# load after: {os.getloadavg()}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
