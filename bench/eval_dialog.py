"""Measure the conversational loop end to end with simulated shoppers.

    .venv/bin/python bench/eval_dialog.py --store /tmp/vidrec-eval/heldout-bare --truth /work/eval-catalog/ground_truth.csv

Each held-out item is a hidden target twice (once in Chinese, once in English). The shopper opens with only the
category, answers questions truthfully, critiques what it is shown, and succeeds when the target is shown.
Compared with (a) the same engine that never asks (recommends every turn) and (b) a one-shot search with the full
description. The store is copied first, so sessions written by the episodes leave the original untouched.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repo root, for `tools`

from tools.simulator import GENDER_SAY, SimulatedShopper, Target, run_episode
from vidrec.dialog.engine import Engine
from vidrec.library import Library
from vidrec.recommend.search import Searcher
from vidrec.vocabulary import COLOUR_VOCABULARY, USAGE_VOCABULARY


def load_targets(truth_csv: Path, library: Library) -> dict[str, Target]:
    out = {}
    with open(truth_csv, encoding="utf-8") as f:
        for r in csv.DictReader(f):
            if library.profile(r["id"]) is None:
                continue
            price = r.get("price")
            out[r["id"]] = Target(id=r["id"], category=r["articleType"], colour=r["baseColour"] or None,
                                  gender=r.get("gender") or None, usage=r.get("usage") or None,
                                  price=float(price) if price else None)
    return out


def summarise(episodes: list, max_turns: int) -> dict:
    n = len(episodes)
    turns = [e.success_turn for e in episodes if e.success_turn is not None]
    return {"episodes": n, "success@5": round(sum(t <= 5 for t in turns) / n, 3),
            "success@10": round(sum(t <= max_turns for t in turns) / n, 3),
            "mean_turns_to_success": round(statistics.mean(turns), 2) if turns else None}


def one_shot(searcher: Searcher, t: Target, lang: str, k: int) -> bool:
    colour = COLOUR_VOCABULARY.get(t.colour) if t.colour else None
    cat = searcher.library_taxonomy.lookup(t.category)
    usage = USAGE_VOCABULARY.lookup(t.usage) if t.usage else None
    g = GENDER_SAY.get(t.gender or "", ("", ""))
    if lang == "zh":
        q = f"{g[0]}{colour.zh_name if colour else ''}{cat.zh_name if cat else t.category} " \
            f"{usage.zh_name if usage else ''}"
    else:
        q = f"{g[1]} {colour.canonical.lower() if colour else ''} {cat.en_name if cat else t.category} " \
            f"{usage.en_name if usage else ''}"
    return t.id in [h.id for h in searcher.search(q, k=k).results]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--store", required=True)
    ap.add_argument("--truth", required=True)
    ap.add_argument("--max-turns", type=int, default=10)
    ap.add_argument("--limit", type=int, default=0, help="at most this many targets (0 = all)")
    ap.add_argument("--offset", type=int, default=0,
                    help="skip the first N targets (in id order), e.g. those looked at while developing")
    ap.add_argument("--out", default=None, help="write the report JSON here")
    ap.add_argument("--systems", default="vidrec,no_questions,one_shot",
                    help="which of vidrec, no_questions, one_shot to run")
    ap.add_argument("--query-cache", type=int, default=0,
                    help="remember this many query embeddings (the server's default is 4096; 0 = embed every turn)")
    args = ap.parse_args()
    systems = set(args.systems.split(","))
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "store"
        shutil.copytree(args.store, store, ignore=shutil.ignore_patterns("write.lock"))
        lib = Library.open(store, readonly=False)
        targets = load_targets(Path(args.truth), lib)
        ids = sorted(targets)[args.offset:][: args.limit or None]
        report: dict = {"date": time.strftime("%Y-%m-%d"), "catalog_items": len(lib), "targets": len(ids),
                        "offset": args.offset,
                        "query_cache": args.query_cache, "load_average_start": os.getloadavg()}
        latencies: list[float] = []
        cpu: list[float] = []
        from vidrec.encoders.query_cache import CachedTextEncoder
        from vidrec.encoders.text import default_text_encoder

        text_encoder = default_text_encoder()  # with --query-cache 0, every turn embeds its query
        if args.query_cache:
            text_encoder = CachedTextEncoder(text_encoder, args.query_cache)
        for name, ask in (("vidrec", True), ("no_questions", False)):
            if name not in systems:
                continue
            engine = Engine(lib, ask_questions=ask, thumbnail_url=None, text_encoder=text_encoder)
            timed = engine.respond

            def respond(sid, text, user_id=None, _f=timed):
                t0, c0 = time.perf_counter(), time.process_time()
                out = _f(sid, text, user_id)
                latencies.append((time.perf_counter() - t0) * 1000)
                cpu.append((time.process_time() - c0) * 1000)
                return out

            engine.respond = respond  # type: ignore[method-assign]
            episodes = []
            for n, tid in enumerate(ids):
                for lang in ("zh", "en"):
                    shopper = SimulatedShopper(targets[tid], targets, lib.taxonomy, lang, seed=n * 2 + (lang == "en"))
                    episodes.append(run_episode(engine, shopper, f"{name}-{tid}-{lang}", args.max_turns))
            report[name] = summarise(episodes, args.max_turns)
            report[name]["by_lang"] = {lang: summarise([e for e in episodes if e.lang == lang], args.max_turns)
                                       for lang in ("zh", "en")}
            print(name, report[name], file=sys.stderr, flush=True)
        if "one_shot" in systems:
            searcher = Searcher(lib, text_encoder=text_encoder)
            searcher.library_taxonomy = lib.taxonomy
            for k in (4, 10):
                hits = [one_shot(searcher, targets[t], lang, k) for t in ids for lang in ("zh", "en")]
                report[f"one_shot_top{k}"] = {"episodes": len(hits), "success": round(sum(hits) / len(hits), 3)}
        if latencies:
            latencies.sort()
            cpu.sort()
            report["turn_latency_ms"] = {
                "catalog_items": len(lib), "turns": len(latencies),
                "p50": round(latencies[len(latencies) // 2], 1), "p95": round(latencies[int(len(latencies) * 0.95)], 1),
                "cpu_p50": round(cpu[len(cpu) // 2], 1), "cpu_p95": round(cpu[int(len(cpu) * 0.95)], 1)}
            if isinstance(text_encoder, CachedTextEncoder):
                report["turn_latency_ms"]["query_cache"] = text_encoder.stats()
        report["load_average_end"] = os.getloadavg()
        lib.close()
    text = json.dumps(report, indent=2, ensure_ascii=False)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
