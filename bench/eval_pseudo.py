"""Pseudo-labels and calibrated "unsure" (issue 15 §2): measure them on a bare catalog, fit what they need on tune.

    # a bare store of the tune and dev items of an evaluation catalog (bench/build_eval_catalog.py), ingested with
    # `vidrec ingest bare.csv --taxonomy taxonomy.txt` (the pseudo-label step runs at the end of every ingest)
    .venv/bin/python bench/eval_pseudo.py --catalog DIR --store STORE --fit        # fit on tune, write the files
    .venv/bin/python bench/eval_pseudo.py --catalog DIR --store STORE              # report on dev

Splits come from `bench.splits.split_of(<Myntra photo id>)`: the calibration curves and the pseudo-label
confidence bound are fitted on `tune` items only; the report is on `dev`; `heldout` items are refused.

With --fit it also measures the lightness and contrast of the tune videos' keyframes: the picture range the
calibration holds for (outside it, a value only the pixels support is unsure).

What it reports on dev (95 % Wilson intervals):
- category accuracy of the items nobody names (no caption, on-screen text or speech named a category), before
  (the pictures' zero-shot guess, recomputed from the stored features with no prototypes) and after the
  pseudo-label prototypes (the stored profiles); the same "from pictures alone" for every dev item;
- calibration: expected calibration error (10 equal-width bins) of the raw confidence and of the calibrated
  probability, with a reliability table; the share marked unsure and the accuracy of the sure and unsure values.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import math
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from bench.splits import split_of
from vidrec.ingest.features import FeatureFiles
from vidrec.ingest.pseudo import FOLDS, category_from_pictures, is_silent, pseudo_label, pseudo_record
from vidrec.library import taxonomy_from_meta
from vidrec.store import Store
from vidrec.understand.calibration import Calibration, PictureRange, PlattCurve, evidence_group
from vidrec.understand.profile import Attribute

TRUTH_KEYS = {"category": "articleType", "color": "baseColour"}


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    if n == 0:
        return (math.nan, math.nan)
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return (round(c - h, 3), round(c + h, 3))


def rate(flags: list[bool]) -> dict:
    k, n = sum(flags), len(flags)
    return {"acc": round(k / n, 3) if n else None, "n": n, "ci95": wilson(k, n)}


def ece(probs: list[float], correct: list[bool], bins: int = 10) -> tuple[float, list[dict]]:
    table = []
    total = 0.0
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        idx = [i for i, p in enumerate(probs) if (lo <= p < hi) or (b == bins - 1 and p == 1.0)]
        if not idx:
            continue
        conf = float(np.mean([probs[i] for i in idx]))
        acc = float(np.mean([correct[i] for i in idx]))
        total += len(idx) / len(probs) * abs(conf - acc)
        table.append({"bin": f"{lo:.1f}-{hi:.1f}", "n": len(idx), "mean_p": round(conf, 3), "acc": round(acc, 3)})
    return round(total, 3), table


def read_truth(catalog: Path, path: Path | None = None) -> dict[str, dict]:
    path = path or catalog / "ground_truth.csv"
    with open(path, encoding="utf-8") as f:
        return {r["id"]: r for r in csv.DictReader(f)}


def load(store_path: Path, truth: dict[str, dict]):
    store = Store.open(store_path, readonly=True)
    taxonomy = taxonomy_from_meta(store.metadata.get_meta("taxonomy"))
    features = FeatureFiles(store_path / "features", create=False)
    rows = []
    for row in store.metadata.items():
        if row["id"] not in truth:
            continue
        split = split_of(row["id"])
        if split == "heldout":
            raise SystemExit(f"item {row['id']} is in the held-out split: build the store from tune and dev only")
        rows.append((split, row))
    return store, taxonomy, features, rows


def attr_of(row: dict, name: str) -> Attribute | None:
    a = (row.get("profile") or {}).get("attributes", {}).get(name)
    return Attribute.model_validate(a) if a else None


def picture_range(rows: list[dict]) -> PictureRange:
    """The lightness, contrast (and object entropy) range the tune videos cover, from what their ingest stored
    (`picture_quality` of each profile: the keyframes as ingest picks them, the product crops' ImageNet entropy);
    a store whose profiles lack it has its videos decoded again (no object entropy then)."""
    stored = [(row.get("profile") or {}).get("picture_quality") or {} for row in rows]
    if stored and all("lightness" in q and "contrast" in q for q in stored):
        entropy = [q["object_entropy"] for q in stored if "object_entropy" in q]
        return PictureRange(min_lightness=min(q["lightness"] for q in stored),
                            max_lightness=max(q["lightness"] for q in stored),
                            min_contrast=min(q["contrast"] for q in stored),
                            max_object_entropy=max(entropy) if len(entropy) == len(stored) else None)
    from vidrec.config import IngestSettings
    from vidrec.media import analyze
    from vidrec.understand.calibration import picture_quality

    st = IngestSettings()
    light, contrast = [], []
    for row in rows:
        media = analyze(row["video_path"], max_seconds=st.max_seconds, sample_fps=st.sample_fps,
                        max_side=st.max_side, max_shots=st.max_shots, ocr_frames_per_shot=0, audio=False, threads=1)
        q = picture_quality([shot.keyframe for shot in media.shots])
        light.append(q["lightness"])
        contrast.append(q["contrast"])
    return PictureRange(min_lightness=min(light), max_lightness=max(light), min_contrast=min(contrast))


def fit(args, truth, taxonomy, rows) -> dict:
    """Calibration curves and the pseudo-label bound, from tune items only."""
    data: dict = defaultdict(lambda: ([], []))
    candidates: list[tuple[float, bool]] = []
    for split, row in rows:
        if split != "tune":
            continue
        t = truth[row["id"]]
        for name, key in TRUTH_KEYS.items():
            a = attr_of(row, name)
            if a is None or a.source == "metadata":
                continue
            raw, ok = data[(name, evidence_group(a))]
            raw.append(a.confidence)
            ok.append(str(a.value) == t[key])
        cat = (row.get("profile") or {}).get("attributes", {}).get("category")
        if cat is not None and pseudo_label({"attributes": {"category": {**cat, "confidence": 1.0}}}) is not None:
            candidates.append((float(cat["confidence"]), cat["value"] == t["articleType"]))
    curves: dict = defaultdict(dict)
    out: dict = {"calibration_items": {}}
    for (name, group), (raw, ok) in sorted(data.items()):
        curves[name][group] = PlattCurve.fit(raw, ok)
        out["calibration_items"][f"{name}/{group}"] = {"n": len(raw), "right": int(sum(ok))}
    pictures = picture_range([row for split, row in rows if split == "tune"])
    out["pictures"] = dataclasses.asdict(pictures)
    cal = Calibration(dict(curves), fitted_on=f"tune split of {args.catalog} (bench/eval_pseudo.py --fit)",
                      pictures=pictures)
    out["curves"] = cal.to_json()["curves"]
    # the lowest bound at which the named, uncontested, agreeing categories above it are right >= 95 %
    candidates.sort()
    bound = None
    for i, (c, _) in enumerate(candidates):
        above = [ok for _, ok in candidates[i:]]
        if len(above) >= 10 and sum(above) / len(above) >= 0.95:
            bound = c
            break
    out["pseudo_candidates"] = {"n": len(candidates), "right": sum(ok for _, ok in candidates),
                                "min_confidence_for_0.95": bound,
                                "precision_above": rate([ok for c, ok in candidates if bound is not None and c >= bound])}
    if args.write_calibration:
        cal.save(args.write_calibration)
        out["written"] = str(args.write_calibration)
    return out


def report(args, truth, store, taxonomy, features, rows, cal: Calibration | None) -> dict:
    from vidrec.understand.calibration import UNSURE_BELOW

    out: dict = {"items": {s: sum(1 for x, _ in rows if x == s) for s in ("tune", "dev")},
                 "pseudo_labels": pseudo_record(store.metadata)}
    dev = [row for split, row in rows if split == "dev"]
    projection = store.path / "projection.npz"
    protos, blend = None, {}
    if projection.exists():
        from vidrec.encoders.projection import ImageTextProjection

        loaded = ImageTextProjection.load(projection)
        protos, blend = loaded.prototypes, loaded.meta.get("prototype_blend") or {}
    out["blend"] = blend
    silent_before, silent_after, pics_before, pics_after, silent_sure = [], [], [], [], []
    for row in dev:
        t = truth[row["id"]]["articleType"]
        f = features.read(row["id"])
        before = category_from_pictures(row, f, None, taxonomy)
        # from pictures alone: the same item with no text at all
        bare = {**row, "profile": {**row["profile"], "transcript": [], "ocr": [], "metadata": {}}}
        alone_before = category_from_pictures(bare, f, None, taxonomy)
        alone_after = category_from_pictures(bare, f, protos, taxonomy, blend)
        if alone_before is not None and alone_after is not None:
            pics_before.append(alone_before[1].value == t)
            pics_after.append(alone_after[1].value == t)
        if is_silent(row["profile"]) and before is not None:
            after = attr_of(row, "category")
            silent_before.append(before[1].value == t)
            silent_after.append(str(after.value) == t)
            p = cal.probability("category", after) if cal is not None else after.probability
            silent_sure.append((str(after.value) == t, p < UNSURE_BELOW))
    out["silent_category"] = {"before": rate(silent_before), "after": rate(silent_after),
                              "after_unsure_share": rate([u for _, u in silent_sure]),
                              "after_sure_accuracy": rate([ok for ok, u in silent_sure if not u])}
    out["pictures_alone_category"] = {"before": rate(pics_before), "after": rate(pics_after)}
    out["pseudo_labels_dev"] = rate([pseudo_label(r["profile"]) == truth[r["id"]]["articleType"]
                                     for r in dev if pseudo_label(r["profile"]) is not None])
    quality = {}
    if cal is not None and cal.pictures is not None:  # the picture range: decode the dev videos' keyframes
        from vidrec.config import IngestSettings
        from vidrec.media import analyze
        from vidrec.understand.calibration import picture_quality

        st = IngestSettings()
        for row in dev:
            media = analyze(row["video_path"], max_seconds=st.max_seconds, sample_fps=st.sample_fps,
                            max_side=st.max_side, max_shots=st.max_shots, ocr_frames_per_shot=0, audio=False,
                            threads=1)
            quality[row["id"]] = picture_quality([shot.keyframe for shot in media.shots])
        out["outside_picture_range"] = sorted(i for i, q in quality.items() if cal.pictures.problem(q))
    for name, key in TRUTH_KEYS.items():
        raw, probs, ok, unsure = [], [], [], []
        for row in dev:
            a = attr_of(row, name)
            if a is None or a.source == "metadata":
                continue
            right = str(a.value) == truth[row["id"]][key]
            p = cal.probability(name, a) if cal is not None else a.probability
            applied = cal.apply(name, a, quality.get(row["id"])) if cal is not None else a
            raw.append(a.confidence)
            probs.append(p)
            ok.append(right)
            unsure.append(applied.unsure)
        e_raw, _ = ece(raw, ok)
        e_cal, table = ece(probs, ok)
        out[name] = {"n": len(ok), "accuracy": rate(ok), "ece_raw": e_raw, "ece_calibrated": e_cal,
                     "reliability": table, "unsure_share": rate(unsure),
                     "sure_accuracy": rate([o for o, u in zip(ok, unsure, strict=True) if not u]),
                     "unsure_accuracy": rate([o for o, u in zip(ok, unsure, strict=True) if u])}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--catalog", type=Path, required=True, help="the evaluation catalog (ground_truth.csv)")
    ap.add_argument("--truth", type=Path, help="ground truth CSV (default: CATALOG/ground_truth.csv)")
    ap.add_argument("--store", type=Path, required=True, help="a store of its tune and dev items, ingested bare")
    ap.add_argument("--fit", action="store_true", help="fit the calibration and pseudo-label bound on tune")
    ap.add_argument("--write-calibration", type=Path, help="with --fit: write the calibration here")
    ap.add_argument("--calibration", type=Path, help="report with this calibration (default: the stored one)")
    ap.add_argument("--out", type=Path, help="write the JSON here too")
    args = ap.parse_args()
    truth = read_truth(args.catalog, args.truth)
    store, taxonomy, features, rows = load(args.store, truth)
    try:
        if args.fit:
            result = fit(args, truth, taxonomy, rows)
        else:
            cal = Calibration.from_json(json.loads(args.calibration.read_text())) if args.calibration else None
            result = report(args, truth, store, taxonomy, features, rows, cal)
            result["folds"] = FOLDS
    finally:
        store.close()
    text = json.dumps(result, indent=2, ensure_ascii=False)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
