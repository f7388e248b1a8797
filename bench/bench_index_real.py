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
- ``hnsw``: faiss IndexHNSWFlat (M, efConstruction given), searched by :func:`hnsw_search`: no filter: efSearch;
  a filter keeping at most ``brute_below`` vectors: exact over the kept vectors (the flat storage under the same
  bitmap); a wider filter: efSearch raised to ``ef * (total / kept) ** alpha`` (at most ``ef_max``).

Recall@10 is against exact numpy over the vectors meeting the filter. Build: wall and CPU seconds; memory: RSS
growth over the build. HNSW builds are saved under --data (``hnsw_<n>_M<m>_efc<efc>.faiss``) and reused.
"""

from __future__ import annotations

import argparse
import json
import math
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


def hnsw_search(index: faiss.IndexHNSWFlat, q: np.ndarray, k: int, bits: np.ndarray | None, kept: int, total: int,
                ef: int, alpha: float, brute_below: int, ef_max: int) -> tuple[np.ndarray, np.ndarray]:
    if bits is None:
        return index.search(q, k, params=faiss.SearchParametersHNSW(efSearch=ef))
    sel = faiss.IDSelectorBitmap(len(bits), faiss.swig_ptr(bits))
    if kept <= brute_below:
        return index.storage.search(q, k, params=faiss.SearchParameters(sel=sel))
    ef_f = int(min(ef_max, max(ef, math.ceil(ef * (total / kept) ** alpha))))
    return index.search(q, k, params=faiss.SearchParametersHNSW(efSearch=ef_f, sel=sel))


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
    ap.add_argument("--hnsw-search", nargs="+", default=["64:1:20000", "128:1:20000", "128:0.5:20000"],
                    help="efSearch:alpha:brute_below configurations, each measured")
    ap.add_argument("--ef-max", type=int, default=2048)
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

    def make_ivf():
        idx = FaissIndex(vectors.shape[1], build_threads=args.build_threads)
        for s in range(0, n, 10_000):
            idx.add(ids[s : s + 10_000], vectors[s : s + 10_000],
                    [{k2: v for k2, v in p.items() if k2 != "source"} for p in payloads[s : s + 10_000]])
        return idx

    if args.build_only:
        args.backends = ["hnsw"]
        args.hnsw_search = []
        ivf = None
    else:
        ivf = build("ivf (FaissIndex as shipped)", make_ivf)
    masks = {name: (None if f.is_empty() or ivf is None else ivf._mask(f)) for name, f in flts.items()}
    kept = {name: (n if m is None else int(m.sum())) for name, m in masks.items()}
    print({name: round(c / n * 100, 2) for name, c in kept.items()}, flush=True)
    # exact truth per query and filter
    t0 = time.perf_counter()
    truth: dict[str, list[set[int]]] = {name: [] for name in flts}
    for q in queries if ivf is not None else []:
        scores = vectors @ q
        for name, m in masks.items():
            s = scores if m is None else np.where(m, scores, -np.inf)
            top = np.argpartition(-s, k)[:k]
            truth[name].append({int(i) for i in top if np.isfinite(s[i])})
    print(f"truth in {time.perf_counter() - t0:.0f} s", flush=True)

    def timed(backend: str, search) -> None:
        for name, f in flts.items():
            lat, cpu, rec = [], [], []
            for qi, q in enumerate(queries):
                t, c = time.perf_counter(), time.thread_time()
                got = search(q[None, :], f)
                lat.append((time.perf_counter() - t) * 1000)
                cpu.append((time.thread_time() - c) * 1000)
                want = truth[name][qi]
                rec.append(len(got & want) / max(1, min(k, len(want))))
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
    if "hnsw" in args.backends:
        path = args.data / f"hnsw_{n}_M{args.hnsw_m}_efc{args.hnsw_efc}.faiss"
        if path.exists():
            hnsw = faiss.read_index(str(path))
            rows.append({"backend": f"hnsw M{args.hnsw_m} efC{args.hnsw_efc}", "loaded": str(path)})
        else:
            def make_hnsw():
                idx = faiss.IndexHNSWFlat(vectors.shape[1], args.hnsw_m, faiss.METRIC_INNER_PRODUCT)
                idx.hnsw.efConstruction = args.hnsw_efc
                faiss.omp_set_num_threads(args.build_threads)
                for s in range(0, n, 50_000):
                    idx.add(vectors[s : s + 50_000])
                    print(f"  hnsw {s + 50_000} added", flush=True)
                faiss.omp_set_num_threads(1)
                return idx

            hnsw = build(f"hnsw M{args.hnsw_m} efC{args.hnsw_efc}", make_hnsw)
            faiss.write_index(hnsw, str(path))
        for conf in args.hnsw_search:
            ef, alpha, brute = conf.split(":")
            ef, alpha, brute = int(ef), float(alpha), int(brute)

            def hs(q, f, ef=ef, alpha=alpha, brute=brute):
                bits, kc = with_mask(f)
                _, labels = hnsw_search(hnsw, q, k, bits, kc, n, ef, alpha, brute, args.ef_max)
                return {int(i) for i in labels[0] if i >= 0}

            timed(f"hnsw M{args.hnsw_m} efC{args.hnsw_efc} ef{ef} a{alpha} brute<{brute}", hs)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        old = json.loads(args.json.read_text()) if args.json.exists() else []
        args.json.write_text(json.dumps(old + [{"meta": meta, "rows": rows}], indent=1, ensure_ascii=False))


def _flat(vectors: np.ndarray) -> faiss.IndexFlatIP:
    idx = faiss.IndexFlatIP(vectors.shape[1])
    idx.add(vectors)
    return idx


if __name__ == "__main__":
    main()
