"""Measure what ingest understands, on the catalog built by bench/build_eval_catalog.py, in three scenarios.

    .venv/bin/python bench/build_eval_catalog.py --out CAT --splits tune,heldout --per-type tune=4,heldout=12
    .venv/bin/python bench/eval_ingest.py --catalog CAT --work WORK [--per-type 8] [--workers 2] [--stage all]

Every item's split is `bench.splits.split_of(photo id)` (checked here again). What is fitted, on what:
- scenario B's catalog projection and category prototypes (vidrec's `fit_catalog_projection`) are fitted on the
  TUNE split's titled items only (`bench.splits.for_fitting`); nothing in this script is fitted on held-out items;
- the reported items are the HELD-OUT split's, bare (id and video only) except in scenario C.

Scenarios, each reported on the same held-out items (the first --per-type of each type in the build's order):
- **A** a bare catalog: only a taxonomy (`--taxonomy`, the evaluation's type names, written here with their
  Chinese names); all modalities, and again with speech and on-screen text off (visual only);
- **B** a platform whose titled half (TUNE split, with title and category) is ingested first, then the bare half
  (held-out) in the same store, which uses the projection and prototypes the titled half taught; visual only too;
- **C** full modalities with metadata (the held-out items' real titles, categories and prices).
Reported with 95 % bootstrap intervals over items (over queries for retrieval): category accuracy (all, visual
only, "nobody names it": no caption and no narration naming the product type that the ASR heard; and by naming:
full display name / brand and model only / nothing), colour (exact and colour family), a confusion table per
category and per colour family, price read exactly (captioned or English-narrated videos; Mandarin-narrated only
apart), retrieval nDCG@10 / Recall@10 for "<colour> <category>" queries in en and zh (the evaluation's own names)
against BM25 over the real titles (English queries: the baseline for both), ingest throughput.

Stages: ``ingest`` fills the stores under WORK (resumable: an ingested item is skipped), ``report`` reads them and
writes WORK/report.json and WORK/report.md; ``all`` does both.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import json
import math
import platform
import random
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repo root, for `bench`

from bench.splits import for_fitting, split_of  # noqa: E402
from vidrec.config import IngestSettings  # noqa: E402
from vidrec.ingest import ingest  # noqa: E402
from vidrec.library import Library  # noqa: E402
from vidrec.recommend.search import Searcher  # noqa: E402
from vidrec.store.lexical import LexicalIndex  # noqa: E402
from vidrec.vocabulary import COLOUR_VOCABULARY, Taxonomy  # noqa: E402

_spec = importlib.util.spec_from_file_location("build_eval_catalog", Path(__file__).with_name("build_eval_catalog.py"))
bec = importlib.util.module_from_spec(_spec)
sys.modules["build_eval_catalog"] = bec
_spec.loader.exec_module(bec)

BOOT = 1000
STORES = ("A-all", "A-visual", "B-all", "B-visual", "C-meta")


# --- statistics --------------------------------------------------------------------------------------------------
def bootstrap(values: Sequence[float], stat: Callable[[Sequence[float]], float] | None = None, n: int = BOOT,
              seed: int = 0) -> dict:
    """The mean (or `stat`) of `values` with a 95 % percentile bootstrap interval over them."""
    stat = stat or (lambda xs: sum(xs) / len(xs))
    if not values:
        return {"value": None, "ci95": None, "n": 0}
    rng = random.Random(seed)
    k = len(values)
    draws = sorted(stat([values[rng.randrange(k)] for _ in range(k)]) for _ in range(n))
    return {"value": round(stat(values), 3), "ci95": [round(draws[int(0.025 * n)], 3),
                                                      round(draws[min(n - 1, int(0.975 * n))], 3)], "n": k}


def paired_ratio(ours: Sequence[float], base: Sequence[float], n: int = BOOT, seed: int = 0) -> dict:
    """mean(ours) / mean(base) over the same queries, with a paired bootstrap interval."""
    if len(ours) != len(base) or not ours:
        raise ValueError("paired_ratio needs two equally long, non-empty lists")
    rng = random.Random(seed)
    k = len(ours)

    def ratio(idx: Sequence[int]) -> float:
        b = sum(base[i] for i in idx)
        return sum(ours[i] for i in idx) / b if b else float("nan")

    draws = sorted(ratio([rng.randrange(k) for _ in range(k)]) for _ in range(n))
    draws = [d for d in draws if not math.isnan(d)]
    return {"value": round(ratio(range(k)), 3),
            "ci95": [round(draws[int(0.025 * len(draws))], 3), round(draws[int(0.975 * len(draws)) - 1], 3)], "n": k}


def ndcg_recall(ranked: list[str], relevant: set[str], k: int = 10) -> tuple[float, float]:
    dcg = sum(1.0 / math.log2(i + 2) for i, r in enumerate(ranked[:k]) if r in relevant)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(k, len(relevant))))
    recall = len([r for r in ranked[:k] if r in relevant]) / len(relevant)
    return (dcg / ideal if ideal else 0.0), recall


def family(name: str | None) -> str | None:
    """A colour's family ("Navy Blue" -> "Blue"), by vidrec's colour vocabulary; the name itself when unknown."""
    term = COLOUR_VOCABULARY.get(name) if name else None
    return (term.family or term.canonical) if term else name


def confusion(pairs: Sequence[tuple[str, str | None]]) -> dict[str, dict[str, int]]:
    """truth -> {predicted (or "(none)"): count}."""
    table: dict[str, Counter] = defaultdict(Counter)
    for truth, pred in pairs:
        table[truth][pred or "(none)"] += 1
    return {t: dict(c.most_common()) for t, c in sorted(table.items())}


def confusion_markdown(table: dict[str, dict[str, int]], top: int = 3) -> str:
    lines = ["| truth | n | right | most often read as |", "|---|---:|---:|---|"]
    for truth, row in table.items():
        n = sum(row.values())
        wrong = [f"{p} ×{c}" for p, c in row.items() if p != truth][:top]
        lines.append(f"| {truth} | {n} | {row.get(truth, 0)} | {', '.join(wrong) or '-'} |")
    return "\n".join(lines)


# --- the catalog -------------------------------------------------------------------------------------------------
def read_rows(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return list(csv.DictReader(f))


def write_catalog(path: Path, rows: list[dict], fields: list[str]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    return path


def load_truth(root: Path, per_type: int | None) -> tuple[list[dict], list[dict]]:
    """(tune rows, held-out rows) of ground_truth.csv; held-out cut to the first `per_type` of each type."""
    if not (root / "ground_truth.csv").is_file():
        sys.exit(f"error: {root} has no ground_truth.csv; build it with bench/build_eval_catalog.py")
    rows = read_rows(root / "ground_truth.csv")
    for r in rows:
        if split_of(r["id"]) != r["split"]:
            sys.exit(f"error: item {r['id']} is marked {r['split']} but its photo is in {split_of(r['id'])}; "
                     "rebuild the catalog with the current bench/build_eval_catalog.py")
    held = [r for r in rows if r["split"] == "heldout" and (per_type is None or int(r["rank"]) < per_type)]
    tune = [r for r in rows if r["split"] == "tune"]
    if not held:
        sys.exit(f"error: {root} has no held-out items; build with --splits heldout")
    if not (root / held[0]["video"]).is_file():
        sys.exit(f"error: {root / held[0]['video']} is missing; finish the build first")
    return tune, held


def write_taxonomy(path: Path, types: list[str]) -> Taxonomy:
    """The evaluation's type names, one a line, with its Chinese name as a synonym (a platform's own file)."""
    path.write_text("".join(f"{t}\t{bec.CATEGORY_WORDS[t][0]}\n" for t in types), encoding="utf-8")
    return Taxonomy.from_file(path)


def bare_rows(root: Path, rows: list[dict]) -> list[dict]:
    return [{"id": r["id"], "video": str(root / r["video"])} for r in rows]


def meta_rows(root: Path, rows: list[dict]) -> list[dict]:
    return [{"id": r["id"], "video": str(root / r["video"]), "title": r["productDisplayName"],
             "category": r["articleType"], "price": r["price"], "currency": "CNY"} for r in rows]


# --- ingest ------------------------------------------------------------------------------------------------------
def run_ingest(root: Path, work: Path, tune: list[dict], held: list[dict], taxonomy: Taxonomy, workers: int,
               scenarios: str, b_projection: Path | None = None) -> dict:
    """Fill the stores (each resumable). Returns each run's summary; a run that ingested something is kept as
    WORK/<store>.summary.json (its throughput is that of the videos it analysed)."""
    visual = {"speech": False, "ocr": False}
    cat = {"bare": write_catalog(work / "heldout_bare.csv", bare_rows(root, held), ["id", "video"]),
           "meta": write_catalog(work / "heldout_meta.csv", meta_rows(root, held),
                                 ["id", "video", "title", "category", "price", "currency"])}
    meta_fields = ["id", "video", "title", "category", "price", "currency"]
    summaries: dict = {}

    def one(name: str, catalog: Path, **settings) -> None:
        t0 = time.perf_counter()
        s = ingest(catalog, work / name, workers=workers, taxonomy=taxonomy, settings=IngestSettings(**settings))
        d = s.to_dict()
        d["seconds"] = round(time.perf_counter() - t0, 1)
        summaries[name] = d
        print(f"{name}: ingested {s.ingested}, skipped {s.skipped}, failed {len(s.failed)}, "
              f"{d['seconds']} s; projection: {s.projection}", flush=True)
        if s.ingested:
            (work / f"{name}.summary.json").write_text(json.dumps(d, indent=2, ensure_ascii=False), encoding="utf-8")

    if "A" in scenarios:
        one("A-all", cat["bare"])
        one("A-visual", cat["bare"], **visual)
    if "B" in scenarios and b_projection is not None:
        # visual only, with the projection and prototypes an earlier scenario-B run fitted on its TUNE split's
        # titled items (WORK/B-all/projection.npz of that run): no titled half is ingested again
        one("B-visual", cat["bare"], projection=str(b_projection), **visual)
    elif "B" in scenarios:
        # the titled half: tune-split items only (for_fitting refuses any other split), with title and category
        titled = meta_rows(root, for_fitting(tune, "tune"))
        if len(titled) < 50:
            sys.exit(f"error: scenario B needs >= 50 titled tune items for vidrec to fit a projection; the catalog "
                     f"has {len(titled)}: build with --splits tune --per-type tune=4 (20 types)")
        one("B-all", write_catalog(work / "tune_titled.csv", titled, meta_fields))  # fits the projection
        mixed = titled + [dict(r, title="", category="", price="", currency="") for r in bare_rows(root, held)]
        one("B-all", write_catalog(work / "tune_titled_heldout_bare.csv", mixed, meta_fields))
        projection = work / "B-all" / "projection.npz"
        if not projection.is_file():
            sys.exit("error: scenario B's store has no fitted projection; see the B-all summary above")
        one("B-visual", cat["bare"], projection=str(projection), **visual)
    if "C" in scenarios:
        one("C-meta", cat["meta"])
    return summaries


# --- report ------------------------------------------------------------------------------------------------------
GENERIC_TYPE_WORDS = {"casual", "formal", "sports", "sport", "polo", "track", "flip", "flat"}


def type_words(display_name: str) -> set[str]:
    """The words of a display name that say what kind of product it is ("Tshirts", "Casual Shoes" -> "shoes")."""
    words = {w.lower().strip(",.") for w in display_name.split()}
    return {w for w in words if w in bec.TYPE_WORDS and w not in GENERIC_TYPE_WORDS}


def named_where_heard(truth: dict, profile) -> bool:
    """Whether anyone names the product's type so vidrec can read it: a caption, or narration whose transcript
    (what the ASR heard) contains one of the display name's type words."""
    if truth["caption"] == "yes":
        return True
    heard = " ".join(line.text for line in profile.transcript).lower().replace("-", " ")
    wanted = {w.replace("-", " ") for w in type_words(truth["named_text"])}
    return any(f" {w} " in f" {heard} " for w in wanted)


NAMED_SOURCES = ("text", "ocr", "speech", "metadata")


def colour_outcome(truth: dict, profile) -> dict:
    """How an item's colour was judged: exact and family (the scored measures); whether the truth is anywhere in
    the item's colour list (a second colour of a print; reported apart, never instead of exact); and where the
    colour came from ("named": a caption, on-screen text, speech or metadata said it; "pixels": only the pictures)."""
    value = profile.value("color")
    attr = (profile.attributes or {}).get("color")
    listed = profile.value("colors") or []
    listed = listed if isinstance(listed, list) else [listed]
    return {"exact": float(value == truth["baseColour"]),
            "family": float(family(value) == family(truth["baseColour"])),
            "among_colours": float(truth["baseColour"] in listed or value == truth["baseColour"]),
            "source": "named" if attr is not None and attr.source in NAMED_SOURCES else "pixels",
            "pair": (truth["baseColour"], value)}


def understanding(held: list[dict], lib: Library, vis: Library | None) -> dict:
    """Category, colour and price on the held-out items of one store (and its visual-only twin)."""
    cat, cat_vis, nobody, col, col_fam, col_vis = [], [], [], [], [], []
    by_naming: dict[str, list[float]] = defaultdict(list)
    col_by_parity: dict[str, list[float]] = defaultdict(list)
    cat_pairs, fam_pairs, price_cap_en, price_zh = [], [], [], []
    col_among, col_pairs = [], []
    col_by_source: dict[str, list[float]] = defaultdict(list)
    missing = []
    for t in held:
        p = lib.profile(t["id"])
        v = vis.profile(t["id"]) if vis is not None else None
        if p is None or (vis is not None and v is None):
            missing.append(t["id"])
            continue
        right = float(p.value("category") == t["articleType"])
        cat.append(right)
        by_naming[t["naming"]].append(right)
        if t["naming"] == "full":  # the name reaches vidrec as words (a caption, English narration) or not
            reach = "caption_or_en" if t["caption"] == "yes" or t["spoken_lang"] == "en" else "zh_narration_only"
            by_naming[f"full, {reach}"].append(right)
        if not named_where_heard(t, p):
            nobody.append(right)
        cat_pairs.append((t["articleType"], p.value("category")))
        co = colour_outcome(t, p)
        col.append(co["exact"])
        col_among.append(co["among_colours"])
        col_by_source[co["source"]].append(co["exact"])
        col_pairs.append(co["pair"])
        # the shipped colour palette was tuned on a sample of even-id Myntra photos (bench/eval_colour.py --split
        # dev): odd ids are photos it cannot have seen
        col_by_parity["odd_ids" if int(t["id"]) % 2 else "even_ids"].append(col[-1])
        col_fam.append(float(family(p.value("color")) == family(t["baseColour"])))
        fam_pairs.append((family(t["baseColour"]), family(p.value("color"))))
        if v is not None:
            cat_vis.append(float(v.value("category") == t["articleType"]))
            col_vis.append(float(v.value("color") == t["baseColour"]))
        if t["stated_price"]:
            ok = float(abs(float(p.value("price") or -1) - float(t["stated_price"])) < 0.005)
            (price_cap_en if t["caption"] == "yes" or t["spoken_lang"] == "en" else price_zh).append(ok)
    out = {
        "category": {"all_modalities": bootstrap(cat), "nobody_names_it": bootstrap(nobody),
                     "by_naming": {k: bootstrap(v) for k, v in sorted(by_naming.items())}},
        "colour": {"exact": bootstrap(col), "family": bootstrap(col_fam),
                   "exact_by_photo_id": {k: bootstrap(v) for k, v in sorted(col_by_parity.items())},
                   "exact_by_source": {k: bootstrap(v) for k, v in sorted(col_by_source.items())},
                   "truth_among_item_colours": bootstrap(col_among)},
        "price_exact": {"captioned_or_english_narration": bootstrap(price_cap_en),
                        "mandarin_narration_only": bootstrap(price_zh)},
        "confusion": {"category": confusion(cat_pairs), "colour_family": confusion(fam_pairs),
                      "colour": confusion(col_pairs)},
        "missing": missing,
    }
    if vis is not None:
        out["category"]["visual_only"] = bootstrap(cat_vis)
        out["colour"]["visual_only_exact"] = bootstrap(col_vis)
    return out


def item_outcomes(held: list[dict], lib: Library) -> dict[str, dict[str, float]]:
    """Per held-out item, 1/0 for: category right, colour right, and its groups (nobody names it, full name)."""
    out = {}
    for t in held:
        p = lib.profile(t["id"])
        if p is None:
            continue
        out[t["id"]] = {"category": float(p.value("category") == t["articleType"]),
                        "colour": float(p.value("color") == t["baseColour"]),
                        "nobody": not named_where_heard(t, p), "full": t["naming"] == "full"}
    return out


def paired_difference(ours: Sequence[float], base: Sequence[float], n: int = BOOT, seed: int = 0) -> dict:
    """mean(ours - base) over the same items with a paired bootstrap 95 % interval."""
    if len(ours) != len(base) or not ours:
        raise ValueError("paired_difference needs two equally long, non-empty lists")
    d = [a - b for a, b in zip(ours, base, strict=True)]
    return bootstrap(d, n=n, seed=seed)


def compare(held: list[dict], ours: Library, base: Library) -> dict:
    """This store against a baseline store of the same held-out videos: per measure, both accuracies and the
    paired difference with its interval. "nobody names it" is the baseline's grouping (what its ASR heard)."""
    a, b = item_outcomes(held, ours), item_outcomes(held, base)
    ids = [i for i in b if i in a]
    groups = {"category, all": ids, "category, nobody names it": [i for i in ids if b[i]["nobody"]],
              "category, full name said": [i for i in ids if b[i]["full"]], "colour exact": ids}
    out = {}
    for name, sel in groups.items():
        key = "colour" if name.startswith("colour") else "category"
        o, z = [a[i][key] for i in sel], [b[i][key] for i in sel]
        out[name] = {"ours": bootstrap(o), "base": bootstrap(z), "difference": paired_difference(o, z)}
    return out


def retrieval(held: list[dict], lib: Library, baseline: dict[str, list[tuple[float, float]]] | None) -> dict:
    """nDCG@10 / Recall@10 for "<colour> <category>" over the held-out items (other items in the store are passed
    over), in en and zh, with the evaluation's own names; relevant = same articleType and baseColour."""
    held_ids = {t["id"] for t in held}
    combos = sorted(Counter((t["articleType"], t["baseColour"]) for t in held))
    searcher = Searcher(lib)
    extra = len(lib) - len(held_ids)
    out: dict = {}
    latencies: list[float] = []
    for lang in ("en", "zh"):
        scores = []
        for atype, colour in combos:
            q = (f"{colour.lower()} {atype.lower()}" if lang == "en"
                 else f"{bec.COLOUR_ZH[colour]}{bec.CATEGORY_WORDS[atype][0]}")
            relevant = {t["id"] for t in held if (t["articleType"], t["baseColour"]) == (atype, colour)}
            t0 = time.perf_counter()
            hits = searcher.search(q, k=10 + extra).results
            latencies.append((time.perf_counter() - t0) * 1000)
            scores.append(ndcg_recall([h.id for h in hits if h.id in held_ids][:10], relevant))
        out[lang] = {"queries": len(scores), "ndcg@10": bootstrap([s[0] for s in scores]),
                     "recall@10": bootstrap([s[1] for s in scores]), "_scores": scores}
        if baseline is not None:  # the baseline's English queries, for en and zh alike
            out[lang]["ratio_to_bm25_titles_en"] = paired_ratio([s[0] for s in scores],
                                                                [s[0] for s in baseline["en"]])
    latencies.sort()
    out["search_latency_ms"] = {"p50": round(latencies[len(latencies) // 2], 1),
                                "p95": round(latencies[int(len(latencies) * 0.95)], 1), "items": len(lib)}
    return out


def bm25_titles(held: list[dict]) -> dict[str, list[tuple[float, float]]]:
    """The baseline: BM25 over the real product display names of the held-out items, en queries (the titles are
    English; a Chinese query finds nothing in them, so the zh comparison is against these en scores)."""
    combos = sorted(Counter((t["articleType"], t["baseColour"]) for t in held))
    ids = [t["id"] for t in held]
    out: dict[str, list[tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        index = LexicalIndex(Path(tmp) / "titles")
        index.add(ids, [t["productDisplayName"] for t in held])
        index.commit()
        out["en"] = []
        for atype, colour in combos:
            relevant = {t["id"] for t in held if (t["articleType"], t["baseColour"]) == (atype, colour)}
            out["en"].append(ndcg_recall([i for i, _ in index.search(f"{colour.lower()} {atype.lower()}", 10)],
                                         relevant))
        index.close()
    return out


def run_report(root: Path, work: Path, tune: list[dict], held: list[dict], scenarios: str) -> dict:
    report: dict = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                    "machine": f"{platform.machine()}, 2 cores shared with other jobs",
                    "catalog": str(root), "heldout_items": len(held), "tune_titled_items": len(tune),
                    "types": len({t["articleType"] for t in held}),
                    "naming": dict(Counter(t["naming"] for t in held)),
                    "fitted": "scenario B: vidrec's catalog projection + category prototypes, on the tune split's "
                              "titled items only (for_fitting); nothing fitted on held-out items",
                    "bootstrap": f"{BOOT} resamples, percentile 95 % intervals, over items (queries for retrieval)"}
    base = bm25_titles(held)
    report["bm25_titles_en"] = {"ndcg@10": bootstrap([s[0] for s in base["en"]]),
                                "recall@10": bootstrap([s[1] for s in base["en"]])}
    for sc, (main_store, visual_store) in {"A": ("A-all", "A-visual"), "B": ("B-all", "B-visual"),
                                           "C": ("C-meta", None)}.items():
        if sc not in scenarios:
            continue
        if sc == "B" and not (work / main_store).is_dir() and (work / visual_store).is_dir():
            with Library.open(work / visual_store) as vis:  # visual only (--b-projection)
                only = understanding(held, vis, None)
            report[sc] = {"visual_only": True, "category": {"visual_only": only["category"]["all_modalities"]},
                          "colour": {"visual_only_exact": only["colour"]["exact"]},
                          "confusion": only["confusion"], "missing": only["missing"]}
            continue
        if not (work / main_store).is_dir():
            sys.exit(f"error: no store {work / main_store}; run --stage ingest first")
        with Library.open(work / main_store) as lib:
            vis = Library.open(work / visual_store) if visual_store else None
            try:
                result = understanding(held, lib, vis)
            finally:
                if vis is not None:
                    vis.close()
            result["retrieval"] = retrieval(held, lib, base)
        report[sc] = result
    throughput = {}
    for name in STORES:
        f = work / f"{name}.summary.json"
        if f.is_file():
            s = json.loads(f.read_text(encoding="utf-8"))
            throughput[name] = {k: s.get(k) for k in ("ingested", "video_seconds", "wall_seconds", "realtime_factor",
                                                      "stage_seconds")}
            cpu = sum((s.get("stage_seconds") or {}).values())
            # the analysis's own CPU seconds (process time, all its threads) on 2 cores: what a machine not shared
            # with other jobs would reach once the models are loaded
            throughput[name]["cpu_seconds"] = round(cpu, 1)
            throughput[name]["realtime_factor_2_cores_from_cpu"] = round(s["video_seconds"] / (cpu / 2), 2) if cpu \
                else None
    report["throughput"] = throughput
    return report


def fmt(b: dict | None) -> str:
    if not b or b.get("value") is None:
        return "n/a (n=0)"
    return f"{b['value']:.3f} [{b['ci95'][0]:.3f}, {b['ci95'][1]:.3f}] (n={b['n']})"


def markdown(report: dict) -> str:
    lines = [f"Held-out items: {report['heldout_items']} ({report['types']} types; naming {report['naming']}); "
             f"tune titled items (B): {report['tune_titled_items']}. {report['bootstrap']}.", "",
             "| scenario | measure | value [95 % CI] (n) |", "|---|---|---|"]
    for sc in ("A", "B", "C"):
        r = report.get(sc)
        if not r:
            continue
        if r.get("visual_only"):
            lines += [f"| {sc} | category, visual only | {fmt(r['category']['visual_only'])} |",
                      f"| {sc} | colour exact, visual only | {fmt(r['colour']['visual_only_exact'])} |"]
            continue
        c = r["category"]
        rows = [("category, all modalities", c["all_modalities"]), ("category, visual only", c.get("visual_only")),
                ("category, nobody names it", c["nobody_names_it"])]
        rows += [(f"category, named: {k}", v) for k, v in c["by_naming"].items()]
        rows += [("colour exact", r["colour"]["exact"]), ("colour family", r["colour"]["family"]),
                 ("colour exact, visual only", r["colour"].get("visual_only_exact")),
                 ("colour exact, named by a caption, on-screen text or speech",
                  r["colour"].get("exact_by_source", {}).get("named")),
                 ("colour exact, pixels only", r["colour"].get("exact_by_source", {}).get("pixels")),
                 ("colour: truth among the item's colours (not the target's measure)",
                  r["colour"].get("truth_among_item_colours")),
                 ("colour exact, odd photo ids (never seen by the palette tuning)",
                  r["colour"]["exact_by_photo_id"].get("odd_ids")),
                 ("colour exact, even photo ids (the palette was tuned on a sample of these)",
                  r["colour"]["exact_by_photo_id"].get("even_ids")),
                 ("price exact, caption or en narration", r["price_exact"]["captioned_or_english_narration"]),
                 ("price exact, zh narration only", r["price_exact"]["mandarin_narration_only"])]
        for lang in ("en", "zh"):
            rr = r["retrieval"][lang]
            rows += [(f"nDCG@10 {lang}", rr["ndcg@10"]), (f"nDCG@10 {lang} / BM25 titles (en)",
                                                          rr.get("ratio_to_bm25_titles_en"))]
        lines += [f"| {sc} | {name} | {fmt(b)} |" for name, b in rows if b is not None]
    lines.append(f"| - | BM25 over real titles, en nDCG@10 | {fmt(report['bm25_titles_en']['ndcg@10'])} |")
    for name, t in report["throughput"].items():
        lines.append(f"| - | ingest {name}: realtime factor | {t['realtime_factor']} ({t['ingested']} videos, "
                     f"{t['video_seconds']} s of video in {t['wall_seconds']} s wall, shared machine); "
                     f"{t['realtime_factor_2_cores_from_cpu']} from its {t['cpu_seconds']} CPU s on 2 cores |")
    paired = report.get("A_paired_against")
    if paired:
        lines += ["", f"Scenario A paired against {paired['work']} (same videos; difference = this - that):", "",
                  "| measure | this | that | difference [95 % CI] |", "|---|---|---|---|"]
        lines += [f"| {k} | {fmt(v['ours'])} | {fmt(v['base'])} | {fmt(v['difference'])} |"
                  for k, v in paired.items() if k != "work"]
    for sc in ("A", "B", "C"):
        if report.get(sc):
            lines += ["", f"Scenario {sc}, category confusion:", "",
                      confusion_markdown(report[sc]["confusion"]["category"]), "",
                      f"Scenario {sc}, colour family confusion:", "",
                      confusion_markdown(report[sc]["confusion"]["colour_family"])]
            if "colour" in report[sc]["confusion"]:
                lines += ["", f"Scenario {sc}, colour confusion (exact labels):", "",
                          confusion_markdown(report[sc]["confusion"]["colour"])]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--catalog", type=Path, default=Path("/work/eval-catalog"))
    ap.add_argument("--work", type=Path, default=Path("/tmp/vidrec-eval"))
    ap.add_argument("--per-type", type=int, default=None, help="held-out items per type (the first N built)")
    ap.add_argument("--scenarios", default="ABC")
    ap.add_argument("--stage", choices=("ingest", "report", "all"), default="all")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--compare-with", type=Path, default=None,
                    help="another WORK of the same catalog (e.g. made with main's code): scenario A paired")
    ap.add_argument("--b-projection", type=Path, default=None,
                    help="scenario B visual only, with this projection.npz an earlier B run fitted on its tune "
                         "split's titled items (for a held-out-only build)")
    args = ap.parse_args(argv)
    if args.b_projection is not None and not args.b_projection.is_file():
        ap.error(f"--b-projection {args.b_projection}: no such file; pass WORK/B-all/projection.npz of a B run")
    if set(args.scenarios) - set("ABC") or not args.scenarios:
        ap.error("--scenarios: letters of ABC")
    args.work.mkdir(parents=True, exist_ok=True)
    tune, held = load_truth(args.catalog, args.per_type)
    taxonomy = write_taxonomy(args.work / "taxonomy.txt", sorted({t["articleType"] for t in held}))
    if args.stage in ("ingest", "all"):
        run_ingest(args.catalog, args.work, tune, held, taxonomy, args.workers, args.scenarios, args.b_projection)
    if args.stage in ("report", "all"):
        report = run_report(args.catalog, args.work, tune, held, args.scenarios)
        for sc in "ABC":
            for lang in ("en", "zh"):
                if sc in report and "retrieval" in report[sc]:
                    report[sc]["retrieval"][lang].pop("_scores")
        (args.work / "report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
        if args.compare_with is not None and "A" in report:
            with Library.open(args.work / "A-all") as ours, Library.open(args.compare_with / "A-all") as base:
                report["A_paired_against"] = {"work": str(args.compare_with), **compare(held, ours, base)}
            (args.work / "report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False),
                                                    encoding="utf-8")
        md = markdown(report)
        (args.work / "report.md").write_text(md, encoding="utf-8")
        print(md)


if __name__ == "__main__":
    main()
