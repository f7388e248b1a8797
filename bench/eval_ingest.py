"""Measure what ingest understands, on the evaluation catalog built by bench/build_eval_catalog.py.

    .venv/bin/python bench/eval_ingest.py --catalog /work/eval-catalog --work /tmp/vidrec-eval [--workers 2]

1. Ingest the DEV half with its metadata (titles): a platform's own titled items. vidrec learns its image→text
   projection from them (the catalog-learned projection).
2. Ingest the HELD-OUT half as bare videos (no metadata at all) with that projection: all modalities, and again
   with speech and on-screen text off (visual only).
3. Report on the held-out half: category accuracy over the article types (all modalities / visual only), colour
   accuracy (named colour vs baseColour; exact and colour-family), price read from speech/captions (exact match
   on videos that say or show one), retrieval for "<colour> <category>" queries in en and zh (nDCG@10, Recall@10)
   beside a title-only BM25 baseline on the same items with metadata, ingest throughput per stage, search latency.
Prints a markdown report and writes it as JSON to WORK/report.json.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import platform
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from vidrec.config import IngestSettings
from vidrec.ingest import ingest
from vidrec.library import Library
from vidrec.recommend.search import Searcher
from vidrec.store.lexical import LexicalIndex
from vidrec.vocabulary import COLOUR_VOCABULARY, Taxonomy


def read_rows(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return list(csv.DictReader(f))


def write_catalog(path: Path, rows: list[dict], fields: list[str]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    return path


def ndcg_recall(ranked: list[str], relevant: set[str], k: int = 10) -> tuple[float, float]:
    dcg = sum(1.0 / math.log2(i + 2) for i, r in enumerate(ranked[:k]) if r in relevant)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(k, len(relevant))))
    recall = len([r for r in ranked[:k] if r in relevant]) / len(relevant)
    return (dcg / ideal if ideal else 0.0), recall


def family(name: str | None) -> str | None:
    term = COLOUR_VOCABULARY.get(name) if name else None
    return (term.family or term.canonical) if term else name


def run(args) -> dict:
    root = Path(args.catalog)
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    truth = {r["id"]: r for r in read_rows(root / "ground_truth.csv")}
    meta = {r["id"]: r for r in read_rows(root / "catalog_meta.csv")}
    types = sorted({r["articleType"] for r in truth.values()})
    (work / "taxonomy.txt").write_text("\n".join(types) + "\n", encoding="utf-8")
    taxonomy = Taxonomy.from_file(work / "taxonomy.txt")
    dev = [dict(meta[i], video=str(root / meta[i]["video"])) for i, r in truth.items() if r["split"] == "dev"]
    held = [dict(id=i, video=str(root / truth[i]["video"])) for i, r in truth.items() if r["split"] == "heldout"]
    report: dict = {"date": time.strftime("%Y-%m-%d"), "machine": f"{platform.machine()}, 2 cores",
                    "items": {"dev": len(dev), "heldout": len(held)}, "types": len(types)}

    dev_store = work / "dev-meta"
    t0 = time.perf_counter()
    s = ingest(write_catalog(work / "dev_meta.csv", dev, list(dev[0])), dev_store, workers=args.workers,
               taxonomy=taxonomy)
    report["dev_ingest"] = {"ingested": s.ingested, "skipped": s.skipped, "failed": len(s.failed),
                            "projection": s.projection, "seconds": round(time.perf_counter() - t0, 1)}
    projection = dev_store / "projection.npz"
    settings = IngestSettings(projection=str(projection) if projection.exists() else None)
    bare_catalog = write_catalog(work / "heldout_bare.csv", held, ["id", "video"])
    bare = ingest(bare_catalog, work / "heldout-bare", workers=args.workers, taxonomy=taxonomy, settings=settings)
    report["throughput"] = {"video_seconds": bare.video_seconds, "wall_seconds": bare.wall_seconds,
                            "realtime_factor": bare.to_dict()["realtime_factor"], "workers": args.workers,
                            "stage_cpu_seconds": bare.stage_seconds, "ingested": bare.ingested,
                            "skipped": bare.skipped, "failed": [f["id"] for f in bare.failed]}
    visual_settings = IngestSettings(projection=settings.projection, speech=False, ocr=False)
    ingest(bare_catalog, work / "heldout-visual", workers=args.workers, taxonomy=taxonomy, settings=visual_settings)

    with Library.open(work / "heldout-bare") as lib, Library.open(work / "heldout-visual") as vis:
        cat_all, cat_vis, col, col_fam, price_ok, price_n = [], [], [], [], 0, 0
        confusions: Counter = Counter()
        for item in held:
            t = truth[item["id"]]
            p, v = lib.profile(item["id"]), vis.profile(item["id"])
            if p is None or v is None:
                continue
            cat_all.append(p.value("category") == t["articleType"])
            cat_vis.append(v.value("category") == t["articleType"])
            col.append(p.value("color") == t["baseColour"])
            col_fam.append(family(p.value("color")) == family(t["baseColour"]))
            if p.value("color") != t["baseColour"]:
                confusions[(t["baseColour"], p.value("color"))] += 1
            if t.get("stated_price"):
                price_n += 1
                price_ok += abs(float(p.value("price") or -1) - float(t["stated_price"])) < 0.005
        report["category_accuracy"] = {"all_modalities": round(sum(cat_all) / len(cat_all), 3),
                                       "visual_only": round(sum(cat_vis) / len(cat_vis), 3), "n": len(cat_all)}
        report["colour_accuracy"] = {"exact": round(sum(col) / len(col), 3),
                                     "family": round(sum(col_fam) / len(col_fam), 3),
                                     "top_confusions": [f"{a}→{b} ×{n}" for (a, b), n in confusions.most_common(6)]}
        report["price_exact"] = {"rate": round(price_ok / price_n, 3) if price_n else None, "n": price_n}

        # retrieval: "<colour> <category>" in en and zh; relevant = same articleType and baseColour
        combos = Counter((truth[i["id"]]["articleType"], truth[i["id"]]["baseColour"]) for i in held)
        searcher = Searcher(lib)
        held_ids = [i["id"] for i in held]
        with tempfile.TemporaryDirectory() as tmp:
            bm25 = LexicalIndex(Path(tmp) / "titles")
            bm25.add(held_ids, [meta[i]["title"] for i in held_ids])
            bm25.commit()
            results: dict = {}
            latencies: list[float] = []
            for lang in ("en", "zh"):
                ours, base = [], []
                for (atype, colour), _ in sorted(combos.items()):
                    term = taxonomy.lookup(atype)
                    cterm = COLOUR_VOCABULARY.get(colour)
                    if lang == "en":
                        q = f"{colour.lower()} {term.en_name if term else atype}"
                    else:
                        q = f"{cterm.zh_name if cterm else colour}{term.zh_name if term else atype}"
                    relevant = {i for i in held_ids if truth[i]["articleType"] == atype
                                and truth[i]["baseColour"] == colour}
                    t0 = time.perf_counter()
                    ranked = [h.id for h in searcher.search(q, k=10).results]
                    latencies.append((time.perf_counter() - t0) * 1000)
                    ours.append(ndcg_recall(ranked, relevant))
                    base.append(ndcg_recall([i for i, _ in bm25.search(q, 10)], relevant))
                results[lang] = {
                    "queries": len(ours),
                    "ours_bare": {"ndcg@10": round(statistics.mean(x[0] for x in ours), 3),
                                  "recall@10": round(statistics.mean(x[1] for x in ours), 3)},
                    "bm25_titles_meta": {"ndcg@10": round(statistics.mean(x[0] for x in base), 3),
                                         "recall@10": round(statistics.mean(x[1] for x in base), 3)},
                }
            bm25.close()
        report["retrieval"] = results
        latencies.sort()
        report["search_latency_ms"] = {"items": len(lib), "p50": round(latencies[len(latencies) // 2], 1),
                                       "p95": round(latencies[int(len(latencies) * 0.95)], 1)}
    (work / "report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    return report


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--catalog", default="/work/eval-catalog")
    ap.add_argument("--work", default="/tmp/vidrec-eval")
    ap.add_argument("--workers", type=int, default=2)
    report = run(ap.parse_args())
    json.dump(report, sys.stdout, indent=2, ensure_ascii=False)
    print()


if __name__ == "__main__":
    main()
