"""Benchmark the embedded vector index (FaissIndex): build time, filtered search latency and recall.

    .venv/bin/python bench/bench_index.py                    # 1k and 100k vectors, 384-d, 200 queries each
    .venv/bin/python bench/bench_index.py --sizes 1000 100000 1000000 --queries 100

Synthetic data shaped like a catalog: 384-d unit vectors around 50 category centres (items of one category are
closer to each other than to others, as text/image embeddings of products are), with payloads of 50 categories,
40 colours (1-3 per item), 200 brands, 3 genders and log-normal prices. Queries are drawn the same way.
Vectors are added in batches of 1000, as an ingest run adds them, so "build" includes the switch to IVF.

For each filter: the share of vectors it keeps, search latency p50/p95 (one query at a time, k=10) and recall@10
against exact brute force over the vectors that meet the filter. Prints a markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from vidrec.store.faiss_index import FaissIndex  # noqa: E402
from vidrec.store.vector_index import Filter  # noqa: E402

CATEGORIES = [f"category-{i}" for i in range(50)]
COLORS = [f"color-{i}" for i in range(40)]
BRANDS = [f"brand-{i}" for i in range(200)]
GENDERS = ["men", "women", "unisex"]


def unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=-1, keepdims=True)).astype(np.float32)


def make_catalog(n: int, dim: int, seed: int, spread: float = 1.2):
    """Vectors, payloads, and what the exact reference filters on (category index, colour matrix, price)."""
    rng = np.random.default_rng(seed)
    centres = unit(np.random.default_rng(12345).standard_normal((len(CATEGORIES), dim)))
    cat = rng.integers(len(CATEGORIES), size=n)
    vectors = np.empty((n, dim), dtype=np.float32)
    for start in range(0, n, 50_000):
        stop = min(n, start + 50_000)
        noise = unit(rng.standard_normal((stop - start, dim)))
        vectors[start:stop] = unit(centres[cat[start:stop]] + spread * noise)
    colors = np.zeros((n, len(COLORS)), dtype=bool)
    n_colors = rng.integers(1, 4, size=n)
    for i in range(n):
        colors[i, rng.choice(len(COLORS), size=n_colors[i], replace=False)] = True
    price = np.round(np.exp(rng.normal(np.log(150), 0.9, size=n)), 2)
    brand = rng.integers(len(BRANDS), size=n)
    gender = rng.integers(len(GENDERS), size=n)
    payloads = [
        {
            "category": CATEGORIES[cat[i]],
            "colors": [COLORS[c] for c in np.flatnonzero(colors[i])],
            "price": float(price[i]),
            "brand": BRANDS[brand[i]],
            "gender": GENDERS[gender[i]],
        }
        for i in range(n)
    ]
    return vectors, payloads, cat, colors, price


def make_queries(count: int, dim: int, seed: int, spread: float = 1.2) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = unit(np.random.default_rng(12345).standard_normal((len(CATEGORIES), dim)))
    cat = rng.integers(len(CATEGORIES), size=count)
    return unit(centres[cat] + spread * unit(rng.standard_normal((count, dim))))


def run(n: int, dim: int, queries: int, k: int, seed: int, options: dict, spread: float) -> list[dict]:
    """Build, save, open and query one index of n vectors; one row per filter."""
    vectors, payloads, cat, colors, price = make_catalog(n, dim, seed, spread)
    ids = [str(i) for i in range(n)]
    qs = make_queries(queries, dim, seed + 1, spread)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        index = FaissIndex(dim, Path(tmp) / "vectors.index", **options)
        started = time.perf_counter()
        for start in range(0, n, 1000):
            index.add(
                ids[start : start + 1000], vectors[start : start + 1000], payloads[start : start + 1000]
            )
        build_s = time.perf_counter() - started
        started = time.perf_counter()
        index.save()
        save_s = time.perf_counter() - started
        size_mb = (Path(tmp) / "vectors.index").stat().st_size / 1e6
        started = time.perf_counter()
        index = FaissIndex.open(Path(tmp) / "vectors.index", dim, **options)
        open_s = time.perf_counter() - started

        cheap = price <= 120
        palette = {f"color-{i}" for i in range(10)}
        filters = {
            "none": (None, np.ones(n, dtype=bool)),
            "category": (Filter(category={CATEGORIES[3]}), cat == 3),
            "20 categories": (Filter(category=set(CATEGORIES[:20])), cat < 20),
            "price <= 120": (Filter(price_max=120.0), price <= 120),
            "category+price+colour": (
                Filter(category={CATEGORIES[i] for i in (3, 4, 5)}, price_max=120.0, colors_any=palette),
                np.isin(cat, [3, 4, 5]) & cheap & colors[:, :10].any(axis=1),
            ),
            "one item (needle)": (Filter(ids={ids[n // 2]}), np.arange(n) == n // 2),
        }
        for name, (f, mask) in filters.items():
            kept = np.flatnonzero(mask)
            exact = vectors[kept] @ qs.T  # (kept, queries)
            latencies, recalls = [], []
            for qi in range(queries):
                t0 = time.perf_counter()
                hits = index.search(qs[qi], k, f)
                latencies.append((time.perf_counter() - t0) * 1000)
                top = min(k, len(kept))
                truth = set(kept[np.argpartition(-exact[:, qi], top - 1)[:top]].astype(str)) if top else set()
                recalls.append(len(truth & {h[0] for h in hits}) / max(1, len(truth)))
            rows.append(
                {
                    "vectors": n,
                    "mode": "IVF" if index.is_ivf else "flat",
                    "filter": name,
                    "kept_pct": 100.0 * len(kept) / n,
                    "p50_ms": float(np.percentile(latencies, 50)),
                    "p95_ms": float(np.percentile(latencies, 95)),
                    "recall_at_10": float(np.mean(recalls)),
                    "build_s": build_s,
                    "save_s": save_s,
                    "open_s": open_s,
                    "file_mb": size_mb,
                }
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 100_000])
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--nprobe", type=int, default=None, help="IVF lists probed without a filter")
    parser.add_argument("--ivf-threshold", type=int, default=None)
    parser.add_argument("--exhaustive-below", type=int, default=None)
    parser.add_argument(
        "--spread",
        type=float,
        default=1.2,
        help="noise around the category centres: 1.2 gives cos ~0.4 within a category; larger is harder for IVF",
    )
    parser.add_argument("--json", type=Path, help="also write the rows here")
    args = parser.parse_args()
    options = {
        key: value
        for key, value in (
            ("nprobe", args.nprobe),
            ("ivf_threshold", args.ivf_threshold),
            ("exhaustive_below", args.exhaustive_below),
        )
        if value is not None
    }
    rows = []
    for n in args.sizes:
        rows.extend(run(n, args.dim, args.queries, args.k, args.seed, options, args.spread))
    print(
        f"\nFaissIndex, {args.dim}-d, spread {args.spread}, k={args.k}, {args.queries} queries one at a time, "
        f"options {options or 'default'}; {platform.machine()}, {os.cpu_count()} cores, "
        f"load average {os.getloadavg()[0]:.1f}\n"
    )
    print(
        "| vectors | mode | build s | save s | open s | file MB | filter | kept % | p50 ms | p95 ms | recall@10 |"
    )
    print("|---:|---|---:|---:|---:|---:|---|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['vectors']:,} | {r['mode']} | {r['build_s']:.1f} | {r['save_s']:.2f} | {r['open_s']:.2f} | "
            f"{r['file_mb']:.0f} | {r['filter']} | {r['kept_pct']:.2f} | {r['p50_ms']:.2f} | {r['p95_ms']:.2f} | "
            f"{r['recall_at_10']:.3f} |"
        )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
