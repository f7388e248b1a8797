"""Vector indexes on realistic vectors (bench/index_data.py): FAISS flat, IVF as shipped, HNSW with a filtered path.

    nice -n 5 .venv/bin/python bench/bench_index_real.py --n 100000 --json bench/results/index_real_100k.json
    nice -n 5 .venv/bin/python bench/bench_index_real.py --n 1000000 --hnsw-m 32 --hnsw-efc 80 --json ...

Every backend is asked the same queries (real shopper turns embedded on the query side) under the same filters
(real facet values: article types, colours, brands, price bands from the data's own distributions), one query at
a time, k=10, faiss on one thread (so the calling thread's CPU time is the search's CPU time: reported with the
wall time, which on a shared machine is mostly waiting for a core). The filter mask of every backend is computed by the same code
(``FaissIndex._mask`` over the IVF index's payload columns) and timed with the search, so only the search differs:

- ``flat``: plain faiss IndexFlatIP, filters as the same id bitmap (the exact baseline of the issue's ratios);
- ``ivf``: ``FaissIndex`` as shipped (IVF past 50k, nprobe 32, exact over the kept lists below 20k kept);
- ``hnsw``: ``FaissIndex`` in its HNSW mode (``hnsw_threshold=1``; M, efConstruction given): no filter: the walk
  with efSearch candidates; a filter keeping at most ``exhaustive_below`` vectors: exact over the kept vectors
  (the graph's flat storage under the same bitmap); a wider filter: efSearch raised to
  ``ef * (total / kept) ** exponent`` (at most 2048). Each ``--hnsw-search`` setting is measured on one build.

Recall@10 is against exact numpy over the vectors meeting the filter, counting a returned vector as right when its
exact score reaches the true 10th best (identical product names give identical vectors: any 10 of them are right). Build: wall and CPU seconds; memory: RSS
growth over the build. HNSW builds are saved under --data (``faiss_hnsw_<n>_M<m>_efc<efc>.index``) and reused;
``--build-only`` builds one and stops.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import faiss  # noqa: E402

from vidrec.store import faiss_index  # noqa: E402
from vidrec.store.faiss_index import FaissIndex  # noqa: E402
from vidrec.store.vector_index import Filter  # noqa: E402


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def shopper_filters(payloads: list[dict]) -> dict[str, Filter]:
    """Filters a shopper's turn produces, with values taken from the data's own distributions."""
    from collections import Counter

    cats = Counter(p["category"] for p in payloads).most_common()
    cols = Counter(c for p in payloads for c in p["colors"]).most_common()
    brands = Counter(p["brand"] for p in payloads).most_common()
    price = np.array([p["price"] for p in payloads])
    lo, hi = np.percentile(price, [40, 45])
    mid = cats[len(cats) // 4][0]  # a category of middling size
    return {
        "none": Filter(),
        f"category {cats[0][0]} (largest)": Filter(category={cats[0][0]}),
        f"category {mid}": Filter(category={mid}),
        f"colour {cols[0][0]} or {cols[3][0]}": Filter(colors_any={cols[0][0], cols[3][0]}),
        "brand 3 of the top 20": Filter(brand={brands[5][0], brands[11][0], brands[17][0]}),
        "price band 40-45th pct": Filter(price_min=float(lo), price_max=float(hi)),
        "3 categories+3 colours+price<=median": Filter(
            category={c for c, _ in cats[1:4]}, colors_any={c for c, _ in cols[:3]},
            price_max=float(np.percentile(price, 50))),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=Path("/work/index-data"))
    ap.add_argument("--vectors", default="vectors_1000000.npy")
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--backends", nargs="+", default=["flat", "ivf", "hnsw"])
    ap.add_argument("--hnsw-m", type=int, default=32)
    ap.add_argument("--hnsw-efc", type=int, default=80)
    ap.add_argument("--build-threads", type=int, default=2)
    ap.add_argument("--hnsw-search", nargs="+", default=["64:0.5:20000", "128:0.5:20000", "64:1:20000"],
                    help="efSearch:exponent:exhaustive_below configurations of the HNSW mode, each measured")
    ap.add_argument("--build-only", action="store_true", help="build and save the HNSW index, measure nothing else")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    n, k = args.n, args.k
    allv = np.load(args.data / args.vectors, mmap_mode="r")
    vectors = np.ascontiguousarray(allv[:n])
    payloads = []
    with open(args.data / args.vectors.replace("vectors_", "payloads_").replace(".npy", ".jsonl"),
              encoding="utf-8") as fh:
        for line in fh:
            payloads.append(json.loads(line))
            if len(payloads) == n:
                break
    queries = np.load(args.data / "queries.npy")[: args.queries]
    flts = shopper_filters(payloads)
    ids = [str(i) for i in range(n)]
    faiss.omp_set_num_threads(1)
    rows: list[dict] = []
    meta = {"n": n, "machine": f"{platform.machine()}, {os.cpu_count()} cores, shared", "load": os.getloadavg(),
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "queries": len(queries)}
    print(meta, flush=True)

    def build(name, fn):
        r0, c0, t0 = rss_mb(), cpu_s(), time.perf_counter()
        obj = fn()
        info = {"backend": name, "build_wall_s": round(time.perf_counter() - t0, 1),
                "build_cpu_s": round(cpu_s() - c0, 1), "memory_mb": round(rss_mb() - r0)}
        print(info, flush=True)
        rows.append(info)
        return obj

    def fill(idx: FaissIndex) -> FaissIndex:
        for s in range(0, n, 10_000):
            idx.add(ids[s : s + 10_000], vectors[s : s + 10_000],
                    [{k2: v for k2, v in p.items() if k2 != "source"} for p in payloads[s : s + 10_000]])
        return idx

    hnsw = None
    if "hnsw" in args.backends:
        path = args.data / f"faiss_hnsw_{n}_M{args.hnsw_m}_efc{args.hnsw_efc}.index"
        options = {"hnsw_threshold": 1, "hnsw_m": args.hnsw_m, "hnsw_ef_construction": args.hnsw_efc,
                   "build_threads": args.build_threads}
        if path.exists():
            hnsw = FaissIndex.open(path, vectors.shape[1], **options)
            rows.append({"backend": f"hnsw M{args.hnsw_m} efC{args.hnsw_efc}", "loaded": str(path)})
        else:
            hnsw = build(f"hnsw M{args.hnsw_m} efC{args.hnsw_efc} (FaissIndex HNSW mode)",
                         lambda: fill(FaissIndex(vectors.shape[1], path, **options)))
            hnsw.save()
        assert hnsw.index_type == "hnsw"
    if args.build_only:
        save(args.json, meta, rows)
        return
    ivf = build("ivf (FaissIndex as shipped)", lambda: fill(FaissIndex(vectors.shape[1],
                                                                       build_threads=args.build_threads)))
    masks = {name: (None if f.is_empty() else ivf._mask(f)) for name, f in flts.items()}
    kept = {name: (n if m is None else int(m.sum())) for name, m in masks.items()}
    print({name: round(c / n * 100, 2) for name, c in kept.items()}, flush=True)
    # exact truth per query and filter
    t0 = time.perf_counter()
    truth: dict[str, list[tuple[int, float]]] = {name: [] for name in flts}  # (how many, k-th best score)
    for q in queries:
        scores = vectors @ q
        for name, m in masks.items():
            s = scores if m is None else np.where(m, scores, -np.inf)
            top = np.argpartition(-s, k)[:k]
            top = top[np.isfinite(s[top])]
            truth[name].append((len(top), float(s[top].min()) if len(top) else np.inf))
    print(f"truth in {time.perf_counter() - t0:.0f} s", flush=True)

    def timed(backend: str, search) -> None:
        for name, f in flts.items():
            lat, cpu, rec = [], [], []
            for qi, q in enumerate(queries):
                t, c = time.perf_counter(), time.thread_time()
                got = search(q[None, :], f)
                lat.append((time.perf_counter() - t) * 1000)
                cpu.append((time.thread_time() - c) * 1000)
                # tie-aware: identical product names give identical vectors, and any k of equal best ones are right
                size, kth = truth[name][qi]
                hit = np.asarray(sorted(got), dtype=np.int64)
                good = int(np.count_nonzero(vectors[hit] @ q >= kth - 1e-5)) if len(hit) else 0
                rec.append(min(good, size) / max(1, size))
            row = {"backend": backend, "filter": name, "kept_pct": round(kept[name] / n * 100, 2),
                   "p50_ms": round(float(np.percentile(lat, 50)), 2),
                   "p95_ms": round(float(np.percentile(lat, 95)), 2),
                   "cpu_p50_ms": round(float(np.percentile(cpu, 50)), 2),
                   "cpu_p95_ms": round(float(np.percentile(cpu, 95)), 2),
                   "recall10": round(float(np.mean(rec)), 4),
                   "recall10_min": round(float(np.min(rec)), 2)}
            print(row, flush=True)
            rows.append(row)

    def with_mask(f: Filter):
        if f.is_empty():
            return None, n
        m = ivf._mask(f)
        return np.packbits(m, bitorder="little"), int(np.count_nonzero(m))

    if "ivf" in args.backends:
        timed("ivf", lambda q, f: {int(v) for v, _ in ivf.search(q, k, None if f.is_empty() else f)})
    if "flat" in args.backends:
        flat = build("faiss flat (IndexFlatIP)", lambda: _flat(vectors))

        def flat_search(q, f):
            bits, _ = with_mask(f)
            params = None
            if bits is not None:
                params = faiss.SearchParameters(sel=faiss.IDSelectorBitmap(len(bits), faiss.swig_ptr(bits)))
            _, labels = flat.search(q, k, params=params)
            return {int(i) for i in labels[0] if i >= 0}

        timed("flat", flat_search)
        del flat
    if "hnsw" in args.backends and hnsw is not None:
        for conf in args.hnsw_search:
            ef, alpha, brute = conf.split(":")
            hnsw.hnsw_ef_search, hnsw.exhaustive_below = int(ef), int(brute)
            faiss_index.HNSW_FILTER_EXPONENT = float(alpha)
            timed(f"hnsw M{args.hnsw_m} efC{args.hnsw_efc} ef{ef} a{alpha} exact<={brute}",
                  lambda q, f: {int(v) for v, _ in hnsw.search(q, k, None if f.is_empty() else f)})
    save(args.json, meta, rows)


def save(path: Path | None, meta: dict, rows: list[dict]) -> None:
    if path:
        path.parent.mkdir(parents=True, exist_ok=True)
        old = json.loads(path.read_text()) if path.exists() else []
        path.write_text(json.dumps(old + [{"meta": meta, "rows": rows}], indent=1, ensure_ascii=False))


def _flat(vectors: np.ndarray) -> faiss.IndexFlatIP:
    idx = faiss.IndexFlatIP(vectors.shape[1])
    idx.add(vectors)
    return idx


if __name__ == "__main__":
    main()
