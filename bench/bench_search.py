"""Benchmark whole searches (query parsing, embedding, filtered vector search, BM25, reranking, explanations).

    .venv/bin/python bench/bench_search.py --store /work/stores/myntra-1k          # a real store, read-only
    .venv/bin/python bench/bench_search.py --synthetic 100000                     # a synthetic store of 100k items

Queries are "<colour> <category>" in English and "<颜色><品类>" in Chinese over the store's own categories and
colours, half of them with a price bound ("under 300" / "300元以内"), so most queries carry filters (category,
price) that the vector index applies inside the search. Each query is new to the searcher (no cached embedding).

The searcher is built first (that warms up the text encoder, jieba, the indexes); the time that takes is reported
apart, as "open". Then each query is timed alone: wall milliseconds (p50/p95/max) and CPU milliseconds per query;
then in its two parts: embedding its text (the encoder itself, no cache) and the search given that vector. CPU
milliseconds (this process, all threads) are reported beside wall ones: on a shared machine wall time is mostly
waiting for a core.

`--synthetic N` writes N items into a temporary store through the store's own API: each item gets a text, a
picture and two shot vectors near the real passage embedding of its "<colour> <category>" description (noise
added so items differ), a profile with category, colour and price attributes, and a BM25 text.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from vidrec.library import TAXONOMY_KEY, Library, taxonomy_to_meta  # noqa: E402
from vidrec.recommend.search import Searcher, dense_text  # noqa: E402
from vidrec.vocabulary import COLOUR_VOCABULARY, Taxonomy  # noqa: E402


def queries_for(lib: Library, n: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    cats = [c for c in lib.distinct("category") if c] or [t.canonical for t in lib.taxonomy]
    cols = [c for c in lib.distinct("colors") if COLOUR_VOCABULARY.get(c)] or ["Red", "Blue", "Black", "White"]
    out: list[str] = []
    seen: set[str] = set()
    while len(out) < n:
        cat, col = rng.choice(cats), rng.choice(cols)
        term, cterm = lib.taxonomy.lookup(cat), COLOUR_VOCABULARY.get(col)
        price = rng.choice((None, 200, 300, 500, 1000))
        if rng.random() < 0.5:
            q = f"{col.lower()} {term.en_name if term else cat}" + (f" under {price}" if price else "")
        else:
            q = f"{cterm.zh_name if cterm else col}{term.zh_name if term else cat}" + (f" {price}元以内" if price else "")
        if q in seen:
            q = f"{q} {len(out)}"  # new text: the searcher caches query embeddings
        seen.add(q)
        out.append(q)
    return out


def build_synthetic(root: Path, n: int, seed: int = 3) -> None:
    """N items through the Store API (vectors, keywords, metadata rows), like an ingest run writes them."""
    from vidrec.encoders.text import default_text_encoder
    from vidrec.store import Store

    rng = np.random.default_rng(seed)
    taxonomy = Taxonomy.default()
    cats = [t for t in taxonomy][:40]
    cols = [c for c in COLOUR_VOCABULARY][:24]
    combos = [(t, c) for t in cats for c in cols]
    encoder = default_text_encoder()
    protos = encoder.encode([f"{c.canonical.lower()} {t.en_name}, {c.zh_name}{t.zh_name}" for t, c in combos],
                            kind="passage")
    store = Store.open(root, create=True)
    store.metadata.set_meta(TAXONOMY_KEY, taxonomy_to_meta(taxonomy))
    batch = 2000
    for b0 in range(0, n, batch):
        ids, vecs, payload = [], [], []
        items = []
        for i in range(b0, min(n, b0 + batch)):
            k = int(rng.integers(len(combos)))
            t, c = combos[k]
            price = float(round(np.exp(rng.normal(5.5, 0.8))))
            item_id = f"s{i}"
            facets = {"category": t.canonical, "colors": [c.canonical], "price": price, "brand": None, "gender": None}
            base = {"category": t.canonical, "colors": [c.canonical], "price": price}
            for kind, suffix in (("text", ""), ("image", "#image"), ("shot", "#shot0"), ("shot", "#shot1")):
                v = protos[k] + rng.normal(0, 0.035, protos.shape[1]).astype(np.float32)
                ids.append(item_id + suffix)
                vecs.append(v / np.linalg.norm(v))
                payload.append({**base, "item_id": item_id, "kind": kind,
                                **({"start": 0.0 if suffix.endswith("0") else 3.0} if kind == "shot" else {})})
            attrs = {"category": {"value": t.canonical, "confidence": 0.8, "source": "visual"},
                     "color": {"value": c.canonical, "confidence": 0.7, "source": "visual"},
                     "colors": {"value": [c.canonical], "confidence": 0.7, "source": "visual"},
                     "price": {"value": price, "confidence": 0.9, "source": "ocr"}}
            title = f"{c.canonical} {t.en_name} {i}"
            profile = {"id": item_id, "title": title, "video": f"/synthetic/{item_id}.mp4", "duration": 7.0,
                       "attributes": attrs, "shots": [{"start": 0.0, "end": 3.0}, {"start": 3.0, "end": 7.0}]}
            items.append((item_id, profile, {**facets, "title": title},
                          f"{title} {c.zh_name}{t.zh_name} {t.en_name} {c.canonical.lower()} ¥{price:.0f}"))
        store.vectors.add(ids, np.stack(vecs).astype(np.float32), payload)
        store.lexical.add([x[0] for x in items], [x[3] for x in items])
        with store.metadata.transaction():
            for item_id, profile, facets, _ in items:
                store.metadata.upsert_item(item_id, f"hash-{item_id}", profile["video"], profile, facets)
    store.save()
    store.close()


PROFILE: list[Path | None] = [None]
DUMP: list = [None]  # --dump: each query's answer as a JSON line (two versions of the code compare line by line)


def measure(path: Path, n_queries: int) -> dict:
    t0 = time.perf_counter()
    c0 = time.process_time()
    lib = Library.open(path, readonly=True)
    searcher = Searcher(lib)
    opened = {"wall_s": round(time.perf_counter() - t0, 2), "cpu_s": round(time.process_time() - c0, 2)}
    queries = queries_for(lib, n_queries)
    wall, cpu, embed, rest, filtered = [], [], [], [], 0
    profiler = None
    if PROFILE[0]:
        import cProfile

        profiler = cProfile.Profile(time.process_time)  # CPU time: a shared machine's waits left out
    embed_cpu, rest_cpu = [], []
    for q in queries:
        parsed = searcher.parse(q)
        request = searcher.grounded(parsed.request)
        filtered += bool(request.get("category") or request.price_max is not None)
        w, c = time.perf_counter(), time.process_time()
        answer = searcher.search(q, k=10, parsed=parsed).to_dict()  # every hit read, as the API's answer reads them
        wall.append((time.perf_counter() - w) * 1000)
        cpu.append((time.process_time() - c) * 1000)
        if DUMP[0] is not None:
            DUMP[0].write(json.dumps(answer, ensure_ascii=False, sort_keys=True) + "\n")
        # the same query in its two parts: embedding the text (a new encoder call, not the cache), and the
        # search given that vector (filters, vector search, BM25, rerank, explanations)
        text = dense_text(q, searcher.terms(request))
        w, c = time.perf_counter(), time.process_time()
        qv = getattr(searcher.text, "inner", searcher.text).encode([text], kind="query")[0]
        embed.append((time.perf_counter() - w) * 1000)
        embed_cpu.append((time.process_time() - c) * 1000)
        w, c = time.perf_counter(), time.process_time()
        if profiler is not None:
            profiler.enable()
        searcher.search(q, k=10, parsed=parsed, query_vector=qv).to_dict()
        if profiler is not None:
            profiler.disable()
        rest.append((time.perf_counter() - w) * 1000)
        rest_cpu.append((time.process_time() - c) * 1000)
    if profiler is not None:
        profiler.dump_stats(str(PROFILE[0]))
    items = len(lib)
    lib.close()
    return {"items": items, "queries": len(queries), "with_filters": filtered, "open": opened,
            "wall_ms": _percentiles(wall), "cpu_ms_per_query": round(statistics.mean(cpu), 1),
            "cpu_ms": _percentiles(cpu),
            "parts_wall_ms": {"embed_query": _percentiles(embed), "search_given_vector": _percentiles(rest)},
            "parts_cpu_ms": {"embed_query": _percentiles(embed_cpu), "search_given_vector": _percentiles(rest_cpu)}}


def _percentiles(ms: list[float]) -> dict:
    ms = sorted(ms)
    return {"p50": round(ms[len(ms) // 2], 1), "p95": round(ms[int(len(ms) * 0.95)], 1), "max": round(ms[-1], 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--store", type=Path, help="an existing store (opened read-only)")
    src.add_argument("--synthetic", type=int, help="build a synthetic store of this many items")
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--keep", type=Path, help="with --synthetic: build the store here and keep it (reuse it later "
                                              "with --store, e.g. to compare two versions of the code)")
    ap.add_argument("--profile", type=Path, help="write cProfile statistics of the searches given the vector "
                                                 "(the part after the embedding) to this file")
    ap.add_argument("--dump", type=Path, help="write each query's answer (its hits, as the API gives them) here, "
                                              "one JSON line a query")
    args = ap.parse_args()
    if args.dump:
        DUMP[0] = args.dump.open("w")
    if args.keep and not args.synthetic:
        ap.error("--keep goes with --synthetic")
    if args.keep and args.keep.exists():
        ap.error(f"{args.keep} exists; give a new folder (or use it with --store)")
    PROFILE[0] = args.profile
    report: dict = {"date": time.strftime("%Y-%m-%d"), "machine": f"{platform.machine()}, {os.cpu_count()} cores",
                    "load_average": [round(x, 2) for x in os.getloadavg()]}
    if args.store:
        report.update(measure(args.store, args.queries))
    elif args.keep:
        t0 = time.perf_counter()
        build_synthetic(args.keep, args.synthetic)
        report["build_s"] = round(time.perf_counter() - t0, 1)
        report.update(measure(args.keep, args.queries))
    else:
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            build_synthetic(Path(tmp) / "store", args.synthetic)
            report["build_s"] = round(time.perf_counter() - t0, 1)
            report.update(measure(Path(tmp) / "store", args.queries))
    if DUMP[0] is not None:
        DUMP[0].close()
    report["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
