"""Why scenario A's silent items stay far below scenario B's visual-only, and what a transductive pass over the whole
catalog does about it (issue 15 §2; BENCHMARKS.md "NAME=pseudo", 2026-12-06).

    .venv/bin/python bench/eval_transductive.py --catalog /work/evalab-data/catalog \
        --store /work/evalab-data/stores/tune-bare --store /work/evalab-data/stores/dev-bare --out RESULT.json

Reads bare stores (`vidrec ingest --taxonomy`, scenario A) of tune and dev items; held-out items are refused. Per
store it reports the pseudo-labels the ingest produced (how many, their precision against the ground truth,
coverage per type), then recomputes every item's category from the stored observations under:

- ``zero-shot``: the stored zero-shot picture probabilities, no prototypes;
- ``stored``: what the ingest stored (its pseudo-label fit, if it was applied);
- ``transductive``: `vidrec.ingest.pseudo.transductive_probabilities` over the store's own items, seeds chosen by
  `vidrec.ingest.pseudo.seed_label`, with the parameters given (grid with --grid).

Nothing here reads the truth except to score: the seeds and the propagation use only what the videos say and show.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import math
import sys
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from bench.splits import split_of  # noqa: E402
from vidrec.ingest.features import FeatureFiles  # noqa: E402
from vidrec.ingest.pseudo import (  # noqa: E402
    TRANSDUCTIVE,
    category_from_pictures,
    collect_examples,
    is_silent,
    pseudo_label,
    seed_label,
    transductive_probabilities,
)
from vidrec.library import taxonomy_from_meta  # noqa: E402
from vidrec.store import Store  # noqa: E402


def wilson(k: int, n: int, z: float = 1.96) -> list[float]:
    if n == 0:
        return [math.nan, math.nan]
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return [round(c - h, 3), round(c + h, 3)]


def rate(flags: list[bool]) -> dict:
    k, n = int(sum(flags)), len(flags)
    return {"acc": round(k / n, 3) if n else None, "k": k, "n": n, "ci95": wilson(k, n)}


def read_truth(catalog: Path) -> dict[str, dict]:
    with open(catalog / "ground_truth.csv", encoding="utf-8") as f:
        return {r["id"]: r for r in csv.DictReader(f)}


def nobody_names_it(t: dict, profile: dict) -> bool:
    """bench/eval_ingest.py's grouping: no caption, and the transcript has none of the display name's type words."""
    from bench.eval_ingest import named_where_heard
    from vidrec.understand.profile import ItemProfile

    p = ItemProfile.model_validate({"id": t["id"], "video": "", **profile})
    return not named_where_heard(t, p)


class StoreData:
    def __init__(self, path: Path, truth: dict[str, dict]):
        self.path = path
        self.store = Store.open(path, readonly=True)
        self.taxonomy = taxonomy_from_meta(self.store.metadata.get_meta("taxonomy"))
        self.categories = [t.canonical for t in self.taxonomy]
        self.features = FeatureFiles(path / "features", create=False)
        self.rows = {}
        for row in self.store.metadata.items():
            if row["id"] not in truth:
                continue
            if split_of(row["id"]) == "heldout":
                raise SystemExit(f"{row['id']} is a held-out item: this script reads tune and dev stores only")
            self.rows[row["id"]] = row
        self.feats = {i: self.features.read(i) for i in self.rows}


def pseudo_report(sd: StoreData, truth: dict[str, dict], rule) -> dict:
    labels = {i: rule(r.get("profile") or {}) for i, r in sd.rows.items()}
    labels = {i: v for i, v in labels.items() if v is not None}
    right = [truth[i]["articleType"] == v for i, v in labels.items()]
    per_type = Counter(truth[i]["articleType"] for i, v in labels.items() if truth[i]["articleType"] == v)
    types = sorted({truth[i]["articleType"] for i in sd.rows})
    return {"labels": len(labels), "precision": rate(right),
            "types_with_0": [t for t in types if per_type[t] == 0],
            "types_with_lt3": sum(per_type[t] < 3 for t in types),
            "per_type_right": {t: per_type[t] for t in types},
            "wrong": sorted(f"{i}: {v} (truth {truth[i]['articleType']})" for i, v in labels.items()
                            if truth[i]["articleType"] != v)}


def recompute(sd: StoreData, probs_of: dict[str, np.ndarray] | None, ids) -> dict[str, str | None]:
    """Each item's category re-inferred from its stored observations with these picture probabilities (None: the
    stored zero-shot ones)."""
    from vidrec.ingest.pseudo import category_with_probabilities

    out = {}
    for i in ids:
        row, f = sd.rows[i], sd.feats[i]
        if probs_of is not None and i in probs_of:
            found = category_with_probabilities(row, f, probs_of[i], sd.taxonomy)
        else:
            found = category_from_pictures(row, f, None, sd.taxonomy)
        out[i] = None if found is None else str(found[1].value)
    return out


def score(sd: StoreData, truth: dict[str, dict], pred: dict[str, str | None]) -> dict:
    groups: dict[str, list[bool]] = defaultdict(list)
    for i, v in pred.items():
        t = truth[i]
        ok = v == t["articleType"]
        prof = sd.rows[i].get("profile") or {}
        groups["all"].append(ok)
        if nobody_names_it(t, prof):
            groups["nobody_names_it"].append(ok)
        if is_silent(prof):
            groups["silent"].append(ok)
    return {k: rate(v) for k, v in sorted(groups.items())}


def examples(sds: list[StoreData], bound: float | None = None):
    seeds, others = [], []
    for sd in sds:
        a, b = collect_examples(sd.store.metadata, sd.features, sd.taxonomy,
                                rule=lambda p: seed_label(p, bound), everyone=True)
        seeds += a
        others += b
    return seeds, others


def run(sds: list[StoreData], truth, params: dict, ex=None) -> tuple[dict, dict]:
    """The pass over the stores as ONE catalog; scores per store (and over all)."""
    seeds, others = ex or examples(sds)
    probs = transductive_probabilities(seeds, others, sds[0].categories, **params)
    out = {}
    for sd in sds:
        out[str(sd.path)] = score(sd, truth, recompute(sd, probs, sd.rows))
    return out, probs


def seed_precision(sds: list[StoreData], truth) -> list[dict]:
    """Seed candidates (named, uncontested) by raw confidence: how many, and how many right."""
    rows = []
    for sd in sds:
        for i, row in sd.rows.items():
            cat = ((row.get("profile") or {}).get("attributes") or {}).get("category")
            if not cat:
                continue
            if seed_label({"attributes": {"category": {**cat, "confidence": 1.0}}}) is None:
                continue
            rows.append((float(cat["confidence"]), cat["value"] == truth[i]["articleType"]))
    out = []
    for bound in (0.3, 0.4, 0.5, 0.6, 0.67, 0.7, 0.8, 0.9):
        above = [ok for c, ok in rows if c >= bound]
        out.append({"min_confidence": bound, **rate(above)})
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--catalog", type=Path, required=True)
    ap.add_argument("--store", type=Path, action="append", required=True)
    ap.add_argument("--grid", action="store_true", help="try a grid of the transductive parameters")
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    truth = read_truth(args.catalog)
    result: dict = {}
    sds = [StoreData(path, truth) for path in args.store]
    for sd in sds:
        r: dict = {"items": len(sd.rows)}
        r["pseudo_labels_rule"] = pseudo_report(sd, truth, pseudo_label)
        r["seed_rule"] = pseudo_report(sd, truth, seed_label)
        stored = {i: str(((row.get("profile") or {}).get("attributes") or {}).get("category", {}).get("value"))
                  for i, row in sd.rows.items()}
        r["stored"] = score(sd, truth, stored)
        r["pseudo_record"] = sd.store.metadata.get_meta("pseudo_labels")
        r["zero_shot"] = score(sd, truth, recompute(sd, None, sd.rows))
        r["seed_precision"] = seed_precision([sd], truth)
        r["transductive_alone"] = run([sd], truth, dict(TRANSDUCTIVE))[0][str(sd.path)]
        result[str(sd.path)] = r
    if len(sds) > 1:
        result["seed_precision_all"] = seed_precision(sds, truth)
        result["transductive_together"] = run(sds, truth, dict(TRANSDUCTIVE))[0]
    if args.grid:
        grid = []
        keys = ["mode", "k", "weight", "temperature", "iterations", "min_seeds"]
        space = [["knn", "ncm"], [3, 5, 10], [0.5, 0.75, 0.9], [0.01, 0.02, 0.05], [0, 1], [1, 2]]
        for together, bound in itertools.product([sds] if len(sds) == 1 else [sds, *[[sd] for sd in sds]],
                                                 (0.3, 0.5, 0.6, 0.67)):
            ex = examples(together, bound)
            for values in itertools.product(*space):
                params = dict(TRANSDUCTIVE, **dict(zip(keys, values, strict=True)))
                if params["mode"] == "ncm" and params["k"] != space[1][0]:
                    continue  # k is the kNN's only
                s, _ = run(together, truth, params, ex)
                grid.append({"catalog": "+".join(sd.path.name for sd in together),
                             "params": {"seed_min_confidence": bound, **{k: params[k] for k in keys}},
                             **{f"{Path(st).name}/{g}": v["acc"] for st, sc in s.items() for g, v in sc.items()}})
        result["grid"] = grid
    for sd in sds:
        sd.store.close()
    text = json.dumps(result, indent=1, ensure_ascii=False)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
