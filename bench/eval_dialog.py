"""Measure the conversational loop end to end with simulated shoppers speaking a blind phrase bank.

    .venv/bin/python bench/eval_dialog.py --store STORE --truth CATALOG/ground_truth.csv --shoppers phrasebank \
        --bootstrap 1000 --out bench/results/eval_dialog_bare.json

Each target item is hidden from a `tools.simulator.Shopper` in Chinese and in English; the opening rotates over
vague ("any gift ideas?"), category-only, precise (colour + category) and precise with a budget, so every target
meets two opening kinds and every kind meets every category. The same shoppers (same seeds, same words) talk to
vidrec as it is ("vidrec", asks questions) and to the same engine that never asks ("no_questions"): the two arms are
paired. Reported, with 95 % bootstrap intervals over targets (percentile, paired for differences):

- success@5 / success@10: the target is shown within 5 / 10 shopper messages;
- mean turns to success (successful episodes) and mean episode length (failures count as max turns);
- asking minus never-asking, on vague (vague + category-only) and on precise (precise + precise_budget) openings;
- false-claim rate: turns whose headline (the reply up to its colon, the clause that describes what is listed)
  names a colour, category or price bound that a listed item lacks, judged from the items' stored profiles (what
  vidrec knows), never from the reply's own fields; and, separately, judged from the catalog's true labels. Items
  the reply's text itself sets apart under a close-matches heading ("Close matches ...: #3 ...", "相近...：第3个...")
  are not claimed by the headline and are left out; `false_claim_rate_all_listed` counts them too.

The store is copied first, so the sessions written by the episodes leave the original untouched.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
import zlib
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repo root, for `tools`

from tools.simulator import (
    OPENINGS,
    PHRASEBANK,
    PRECISE_OPENINGS,
    VAGUE_OPENINGS,
    PhraseBank,
    Shopper,
    Target,
    run_episode,
)
from vidrec.library import Library
from vidrec.vocabulary import COLOUR_VOCABULARY, Taxonomy, colours_match

# ------------------------------------------------------------------------------------------------ targets


def load_targets(truth_csv: Path, library: Library | None = None) -> dict[str, Target]:
    """The catalog's true labels for every item in the store (all rows when `library` is None)."""
    try:
        f = open(truth_csv, encoding="utf-8")
    except FileNotFoundError:
        sys.exit(f"error: {truth_csv} not found; pass the ground_truth.csv the catalog builder wrote")
    out = {}
    with f:
        for r in csv.DictReader(f):
            if library is not None and library.profile(r["id"]) is None:
                continue
            price = r.get("price")
            out[r["id"]] = Target(id=r["id"], category=r["articleType"], colour=r.get("baseColour") or None,
                                  gender=r.get("gender") or None, usage=r.get("usage") or None,
                                  price=float(price) if price else None)
    return out


def shopper_seed(tid: str, lang: str, opening: str) -> int:
    return zlib.crc32(f"{tid}|{lang}|{opening}".encode())


def plan(ids: list[str], langs: list[str], openings: list[str]) -> list[tuple[str, str, str]]:
    """(target, lang, opening): every target in every language, the opening rotating so that each target meets
    len(langs) consecutive kinds and each kind meets every category equally often (ids sorted by category)."""
    out = []
    for n, tid in enumerate(ids):
        for k, lang in enumerate(langs):
            out.append((tid, lang, openings[(n * len(langs) + k) % len(openings)]))
    return out


# ------------------------------------------------------------------------------------------------ false claims
_NEGATION = re.compile(r"\b(?:no|not|none|nothing|couldn't|can't)\b|没有|不是|暂时没有|没找到", re.I)
_PRICE = re.compile(r"(?:under|below|less than)\s*(\d+(?:\.\d+)?)|(\d+(?:\.\d+)?)\s*元?以(?:内|下)|"
                    r"(?:over|above|more than)\s*(\d+(?:\.\d+)?)|(\d+(?:\.\d+)?)\s*元?以上|"
                    r"between\s*(\d+(?:\.\d+)?)\s*and\s*(\d+(?:\.\d+)?)|(\d+(?:\.\d+)?)\s*-\s*(\d+(?:\.\d+)?)\s*元", re.I)


def headline_claims(reply: str, taxonomy: Taxonomy) -> dict:
    """What the reply's headline says the listed items are: colours, categories and a price range.

    The headline is the reply up to its first colon (or line break); its claim is the last clause (after ";" or
    "，"): "I found no X that fit; these Y are the closest:" claims Y. A clause with a negation claims nothing.
    """
    head = re.split(r"[:：\n]", reply, maxsplit=1)[0]
    clause = re.split(r"[;；，,]", head)[-1]
    if not clause.strip() or _NEGATION.search(clause):
        return {}
    out: dict = {}
    colours = sorted({t.canonical for t, _, _ in COLOUR_VOCABULARY.find_all(clause)})
    cats = sorted({t.canonical for t, _, _ in taxonomy.find_all(clause)})
    if colours:
        out["colour"] = colours
    if cats:
        out["category"] = cats
    for m in _PRICE.finditer(clause):
        g = m.groups()
        if g[0] or g[1]:
            out["price"] = (None, float(g[0] or g[1]))
        elif g[2] or g[3]:
            out["price"] = (float(g[2] or g[3]), None)
        elif g[4]:
            out["price"] = (float(g[4]), float(g[5]))
        elif g[6]:
            out["price"] = (float(g[6]), float(g[7]))
    return out


def lacks(claims: dict, category: str | None, colours: list[str], price: float | None) -> list[str]:
    """The claimed constraints an item with these attributes lacks (an unknown value lacks a named constraint)."""
    missing = []
    if "category" in claims and category not in claims["category"]:
        missing.append("category")
    if "colour" in claims and not colours_match(colours, claims["colour"]):
        missing.append("colour")
    if "price" in claims:
        lo, hi = claims["price"]
        if price is None or (lo is not None and price < lo) or (hi is not None and price > hi):
            missing.append("price")
    return missing


_CLOSE_HEADING = re.compile(r"(close matches|相近)[^:：]*[:：](.*)", re.I | re.S)
_POSITION = re.compile(r"#(\d+)|第\s*(\d+)\s*个")


def set_apart(reply: str) -> set[int]:
    """The positions the reply's text lists under its close-matches heading (what the shopper reads as not a
    match)."""
    m = _CLOSE_HEADING.search(reply)
    if not m:
        return set()
    return {int(a or b) for a, b in _POSITION.findall(m.group(2))}


class ClaimJudge:
    def __init__(self, library: Library, truth: dict[str, Target]):
        self.library, self.truth, self.taxonomy = library, truth, library.taxonomy
        self._profiles: dict = {}

    def _profile(self, item_id: str):
        if item_id not in self._profiles:
            self._profiles[item_id] = self.library.profile(item_id)
        return self._profiles[item_id]

    def judge(self, reply: str, shown: list[str], *, all_listed: bool = False) -> tuple[bool, bool, dict]:
        """(false by the stored profiles, false by the true labels, the claims)."""
        claims = headline_claims(reply, self.taxonomy) if shown else {}
        if not claims:
            return False, False, claims
        apart = set() if all_listed else set_apart(reply)
        by_profile = by_truth = False
        for position, item_id in enumerate(shown, 1):
            if position in apart:
                continue
            p = self._profile(item_id)
            price = p.value("price") if p is not None else None
            if lacks(claims, p.value("category") if p else None, p.colours() if p else [],
                     float(price) if isinstance(price, (int, float)) else None):
                by_profile = True
            t = self.truth.get(item_id)
            if t is None or lacks(claims, t.category, [t.colour] if t.colour else [], t.price):
                by_truth = True
        return by_profile, by_truth, claims


# ------------------------------------------------------------------------------------------------ statistics


def metrics(eps: list[dict], max_turns: int) -> dict:
    n = len(eps)
    if n == 0:
        return {"episodes": 0}
    ok = [e["success_turn"] for e in eps if e["success_turn"] is not None]
    turns = sum(e["turns"] for e in eps)
    return {
        "episodes": n,
        "success@5": sum(t <= 5 for t in ok) / n,
        "success@10": sum(t <= max_turns for t in ok) / n,
        "mean_turns_to_success": statistics.mean(ok) if ok else float("nan"),
        "mean_episode_turns": statistics.mean(e["turns"] for e in eps),
        "false_claim_rate": sum(e["false_claims"] for e in eps) / turns,
        "false_claim_rate_truth": sum(e["false_claims_truth"] for e in eps) / turns,
        "false_claim_rate_all_listed": sum(e.get("false_claims_all_listed", 0) for e in eps) / turns,
        "turns": turns,
    }


def with_intervals(eps: list[dict], max_turns: int, boots: int, rng: random.Random) -> dict:
    """Point estimates and, with boots > 0, 95 % percentile intervals from resampling targets."""
    point = metrics(eps, max_turns)
    if not boots or not eps:
        return {k: round(v, 4) if isinstance(v, float) else v for k, v in point.items()}
    by_target: dict[str, list[dict]] = {}
    for e in eps:
        by_target.setdefault(e["target"], []).append(e)
    groups = list(by_target.values())
    draws: dict[str, list[float]] = {k: [] for k, v in point.items() if isinstance(v, float)}
    for _ in range(boots):
        sample = [e for _ in groups for e in rng.choice(groups)]
        m = metrics(sample, max_turns)
        for k in draws:
            if m[k] == m[k]:  # not NaN
                draws[k].append(m[k])
    out: dict = {}
    for k, v in point.items():
        if k in draws and draws[k]:
            d = sorted(draws[k])
            out[k] = [round(v, 4), round(d[int(0.025 * len(d))], 4), round(d[min(len(d) - 1, int(0.975 * len(d)))], 4)]
        else:
            out[k] = v
    return out


def paired_difference(a: list[dict], b: list[dict], key: str, max_turns: int, boots: int,
                      rng: random.Random) -> list[float]:
    """metric(a) - metric(b) over the same episodes (same target, language, opening), with a paired 95 % interval."""
    pairs: dict[str, list[tuple[dict, dict]]] = {}
    index = {(e["target"], e["lang"], e["opening"]): e for e in b}
    for e in a:
        other = index.get((e["target"], e["lang"], e["opening"]))
        if other is not None:
            pairs.setdefault(e["target"], []).append((e, other))
    groups = list(pairs.values())

    def diff(gs) -> float:
        xs = [p for g in gs for p in g]
        return metrics([p[0] for p in xs], max_turns)[key] - metrics([p[1] for p in xs], max_turns)[key]

    point = diff(groups)
    if not boots:
        return [round(point, 4)]
    d = sorted(diff([rng.choice(groups) for _ in groups]) for _ in range(boots))
    return [round(point, 4), round(d[int(0.025 * len(d))], 4), round(d[min(len(d) - 1, int(0.975 * len(d)))], 4)]


# ------------------------------------------------------------------------------------------------ the run


def run_system(name: str, ask: bool, lib: Library, text_encoder, episodes_plan, targets, bank, judge,
               max_turns: int, latencies: list[float], log_examples: list) -> list[dict]:
    from vidrec.dialog.engine import Engine

    engine = Engine(lib, ask_questions=ask, thumbnail_url=None, text_encoder=text_encoder)
    out = []
    for k, (tid, lang, opening) in enumerate(episodes_plan):
        shopper = Shopper(targets[tid], targets, lib.taxonomy, lang, seed=shopper_seed(tid, lang, opening),
                          bank=bank, opening=opening)
        claims = {"profile": 0, "truth": 0, "all_listed": 0}

        def on_turn(text, turn, _c=claims, _tid=tid):
            by_profile, by_truth, said = judge.judge(turn.reply, [i.id for i in turn.items])
            _c["profile"] += by_profile
            _c["truth"] += by_truth
            _c["all_listed"] += judge.judge(turn.reply, [i.id for i in turn.items], all_listed=True)[0]
            if by_profile and len(log_examples) < 30:
                log_examples.append({"system": name, "target": _tid, "said": text, "reply": turn.reply,
                                     "claims": {k: list(v) if isinstance(v, tuple) else v for k, v in said.items()},
                                     "shown": [i.id for i in turn.items]})

        t0 = time.perf_counter()
        ep = run_episode(engine, shopper, f"{name}-{tid}-{lang}-{opening}", max_turns, on_turn=on_turn)
        latencies.append((time.perf_counter() - t0) * 1000 / max(1, len(ep.turns)))
        out.append({"system": name, "target": tid, "lang": lang, "opening": opening,
                    "success_turn": ep.success_turn, "turns": len(ep.turns),
                    "false_claims": claims["profile"], "false_claims_truth": claims["truth"],
                    "false_claims_all_listed": claims["all_listed"],
                    "dialog": ep.turns})
        if (k + 1) % 50 == 0:
            print(f"{name}: {k + 1}/{len(episodes_plan)} episodes", file=sys.stderr, flush=True)
    return out


def report(episodes: dict[str, list[dict]], max_turns: int, boots: int, seed: int) -> dict:
    rng = random.Random(seed)
    out: dict = {}
    for name, eps in episodes.items():
        r = {"all": with_intervals(eps, max_turns, boots, rng)}
        r["vague_openings"] = with_intervals([e for e in eps if e["opening"] in VAGUE_OPENINGS], max_turns, boots,
                                             rng)
        r["precise_openings"] = with_intervals([e for e in eps if e["opening"] in PRECISE_OPENINGS], max_turns,
                                               boots, rng)
        r["by_opening"] = {o: with_intervals([e for e in eps if e["opening"] == o], max_turns, 0, rng)
                           for o in OPENINGS}
        r["by_lang"] = {lang: with_intervals([e for e in eps if e["lang"] == lang], max_turns, 0, rng)
                        for lang in ("zh", "en")}
        out[name] = r
    # how the engine read each kind of message (the bank's situation -> the intent it answered), for misparses
    read: dict[str, Counter] = {}
    for t in (t for eps in episodes.values() for e in eps for t in e["dialog"]):
        read.setdefault(t["situation"] or "?", Counter())[t["intent"]] += 1
    out["intent_by_situation"] = {s: dict(c.most_common()) for s, c in sorted(read.items())}
    if "vidrec" in episodes and "no_questions" in episodes:
        a, b = episodes["vidrec"], episodes["no_questions"]
        out["asking_minus_never_asking"] = {
            f"{group}_{key}": paired_difference([e for e in a if e["opening"] in kinds],
                                                [e for e in b if e["opening"] in kinds], key, max_turns, boots, rng)
            for group, kinds in (("vague", VAGUE_OPENINGS), ("precise", PRECISE_OPENINGS))
            for key in ("success@10", "success@5")}
    return out


def against_baseline(episodes: dict[str, list[dict]], baseline: list[dict], max_turns: int, boots: int,
                     seed: int) -> dict:
    """This code minus another code's run on the same store with the same shoppers (the baseline's `--dialogs`
    file): per system, success@5 / @10 and mean episode length, overall and on vague / precise openings, paired
    by (target, language, opening), with 95 % intervals from resampling targets."""
    rng = random.Random(seed + 1)
    out: dict = {}
    for name, eps in episodes.items():
        theirs = [e for e in baseline if e.get("system") == name]
        if not theirs:
            continue
        r = {}
        for group, kinds in (("all", OPENINGS), ("vague", VAGUE_OPENINGS), ("precise", PRECISE_OPENINGS)):
            mine = [e for e in eps if e["opening"] in kinds]
            base = [e for e in theirs if e["opening"] in kinds]
            for key in ("success@10", "success@5", "mean_episode_turns"):
                r[f"{group}_{key}"] = paired_difference(mine, base, key, max_turns, boots, rng)
        r["baseline"] = {"all": metrics(theirs, max_turns),
                         "vague": metrics([e for e in theirs if e["opening"] in VAGUE_OPENINGS], max_turns),
                         "precise": metrics([e for e in theirs if e["opening"] in PRECISE_OPENINGS], max_turns)}
        out[name] = r
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--store", required=True, help="an ingested store (copied first; the original is not written)")
    ap.add_argument("--truth", required=True, help="the catalog's ground_truth.csv")
    ap.add_argument("--shoppers", default="phrasebank", choices=["phrasebank"],
                    help="the shoppers' words: the blind phrase bank (tools/data/phrasebank.json)")
    ap.add_argument("--bank", default=str(PHRASEBANK), help="the phrase bank file")
    ap.add_argument("--bootstrap", type=int, nargs="?", const=1000, default=0,
                    help="95 %% intervals from this many resamples of the targets (default 1000 when given)")
    ap.add_argument("--max-turns", type=int, default=10)
    ap.add_argument("--langs", default="zh,en")
    ap.add_argument("--openings", default=",".join(OPENINGS))
    ap.add_argument("--limit", type=int, default=0, help="at most this many targets, drawn with --seed (0 = all)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--systems", default="vidrec,no_questions", help="vidrec (asks) and/or no_questions")
    ap.add_argument("--out", default=None, help="write the report JSON here")
    ap.add_argument("--dialogs", default=None, help="write every episode's turns (JSON lines) here")
    ap.add_argument("--baseline-dialogs", default=None,
                    help="another code's --dialogs file from the same store and shoppers: report this run minus it, "
                         "paired")
    args = ap.parse_args(argv)
    openings = [o for o in args.openings.split(",") if o]
    if not openings or set(openings) - set(OPENINGS):
        sys.exit(f"error: --openings takes a comma-separated list of {', '.join(OPENINGS)}")
    langs = [x for x in args.langs.split(",") if x]
    if not langs or set(langs) - {"zh", "en"}:
        sys.exit("error: --langs takes zh, en or zh,en")
    systems = [s for s in args.systems.split(",") if s]
    if not systems or set(systems) - {"vidrec", "no_questions"}:
        sys.exit("error: --systems takes vidrec and/or no_questions")
    if not Path(args.store).is_dir():
        sys.exit(f"error: no store at {args.store}; ingest a catalog first (vidrec ingest CATALOG --store DIR)")
    bank = PhraseBank.load(args.bank)
    from vidrec.encoders.query_cache import CachedTextEncoder
    from vidrec.encoders.text import default_text_encoder

    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "store"
        shutil.copytree(args.store, store, ignore=shutil.ignore_patterns("write.lock"))
        lib = Library.open(store, readonly=False)
        targets = load_targets(Path(args.truth), lib)
        if not targets:
            sys.exit("error: no item of the ground truth is in the store; pass the matching --truth")
        ids = sorted(targets)
        if args.limit:
            ids = sorted(random.Random(args.seed).sample(ids, min(args.limit, len(ids))))
        ids.sort(key=lambda i: (targets[i].category, i))
        episodes_plan = plan(ids, langs, openings)
        judge = ClaimJudge(lib, load_targets(Path(args.truth)))
        text_encoder = CachedTextEncoder(default_text_encoder(), 4096)
        out: dict = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "store": args.store,
                     "catalog_items": len(lib), "targets": len(ids), "episodes_per_system": len(episodes_plan),
                     "max_turns": args.max_turns, "bootstrap": args.bootstrap, "shoppers": args.shoppers,
                     "load_average_start": os.getloadavg()}
        episodes: dict[str, list[dict]] = {}
        latencies: list[float] = []
        examples: list = []
        for name in systems:
            episodes[name] = run_system(name, name == "vidrec", lib, text_encoder, episodes_plan, targets, bank,
                                        judge, args.max_turns, latencies, examples)
        out.update(report(episodes, args.max_turns, args.bootstrap, args.seed))
        if args.baseline_dialogs:
            with open(args.baseline_dialogs, encoding="utf-8") as f:
                baseline = [json.loads(line) for line in f if line.strip()]
            out["minus_baseline"] = against_baseline(episodes, baseline, args.max_turns, args.bootstrap, args.seed)
        latencies.sort()
        out["turn_ms_p50"] = round(latencies[len(latencies) // 2], 1)
        out["false_claim_examples"] = examples[:10]
        out["load_average_end"] = os.getloadavg()
        lib.close()
    if args.dialogs:
        with open(args.dialogs, "w", encoding="utf-8") as f:
            for eps in episodes.values():
                for e in eps:
                    f.write(json.dumps(e, ensure_ascii=False) + "\n")
    text = json.dumps(out, indent=2, ensure_ascii=False)
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
