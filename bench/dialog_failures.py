"""Group the failed (or slow) episodes of a `bench/eval_dialog.py --dialogs` file by cause.

    .venv/bin/python bench/dialog_failures.py --store STORE --truth CATALOG/ground_truth.csv --dialogs run.jsonl \
        [--system vidrec] [--slow 6] [--show 5] [--out causes.json]

For every episode that did not show its target within its turns (and, with --slow N, every one that took more than
N turns), the target's stored profile is set against its true labels:

- ``kind_misfiled``: the store files the target under another kind than its true one;
- ``colour_misread``: the kind is right but none of the stored colours is in the true colour's family;
- ``not_reached``: kind and colour read right, so the target met every condition the shopper could state; what
  kept it off the screen is the ranking or the number of look-alike items (``rivals``: items of the store filed
  under the same kind and colour family);
- ``no_price_known`` is counted beside these (the target shows no price, so a budget leaves it unpriced).

Also per cause: how many turns went to each situation of the phrase bank and to each intent the engine read, so a
critique that was not applied shows up as a situation read as something else. For tuning and dev stores only:
reading held-out failures spends that set.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repo root, for `bench` and `tools`

from bench.eval_dialog import load_targets  # noqa: E402
from vidrec.library import Library  # noqa: E402
from vidrec.vocabulary import COLOUR_VOCABULARY, colours_match  # noqa: E402


def cause_of(profile, truth) -> str:
    if profile is None:
        return "not_in_store"
    if str(profile.value("category")) != truth.category:
        return "kind_misfiled"
    if truth.colour and not colours_match(profile.colours(), [truth.colour]):
        return "colour_misread"
    return "not_reached"


def family(colour: str | None) -> str | None:
    term = COLOUR_VOCABULARY.get(colour) if colour else None
    return (term.family or term.canonical) if term is not None else colour


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--store", required=True)
    ap.add_argument("--truth", required=True)
    ap.add_argument("--dialogs", required=True, help="an eval_dialog.py --dialogs file (JSON lines)")
    ap.add_argument("--system", default="vidrec")
    ap.add_argument("--slow", type=int, default=0, help="also count episodes that took more than this many turns")
    ap.add_argument("--show", type=int, default=0, help="print this many episodes of each cause")
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)
    lib = Library.open(Path(args.store), readonly=True)
    truth = load_targets(Path(args.truth))
    rivals: Counter = Counter()
    for p in lib.profiles():
        for c in {family(c) for c in p.colours()}:
            rivals[(str(p.value("category")), c)] += 1
    eps = [json.loads(line) for line in open(args.dialogs, encoding="utf-8")]
    eps = [e for e in eps if e.get("system") == args.system]
    picked = [e for e in eps if e["success_turn"] is None or (args.slow and e["success_turn"] > args.slow)]
    by_cause: dict[str, list] = defaultdict(list)
    for e in picked:
        by_cause[cause_of(lib.profile(e["target"]), truth[e["target"]])].append(e)
    out: dict = {"episodes": len(eps), "picked": len(picked), "failed": sum(e["success_turn"] is None for e in eps),
                 "causes": {}}
    for cause, group in sorted(by_cause.items(), key=lambda kv: -len(kv[1])):
        situations: Counter = Counter()
        read: Counter = Counter()
        openings = Counter(e["opening"] for e in group)
        unpriced = 0
        n_rivals = []
        for e in group:
            t = truth[e["target"]]
            p = lib.profile(e["target"])
            unpriced += p is not None and not isinstance(p.value("price"), (int, float))
            n_rivals.append(rivals[(t.category, family(t.colour))])
            for turn in e["dialog"]:
                situations[turn["situation"] or "?"] += 1
                read[f"{turn['situation']}->{turn['intent']}"] += 1
        out["causes"][cause] = {
            "episodes": len(group), "failed": sum(e["success_turn"] is None for e in group),
            "openings": dict(openings), "unpriced_targets": unpriced,
            "median_rivals": sorted(n_rivals)[len(n_rivals) // 2] if n_rivals else None,
            "situations": dict(situations.most_common()), "read_as": dict(read.most_common(25))}
        for e in group[: args.show]:
            t = truth[e["target"]]
            p = lib.profile(e["target"])
            print(f"\n=== {cause} {e['target']} {e['lang']} {e['opening']} true {t.category}/{t.colour}/{t.price} "
                  f"stored {p.value('category') if p else None}/{p.colours() if p else None}/"
                  f"{p.value('price') if p else None} rivals {rivals[(t.category, family(t.colour))]}")
            for turn in e["dialog"]:
                q = (turn.get("question") or {}).get("slot")
                shown = " ".join(f"{i}:{truth[i].category[:8]}/{truth[i].colour}" if i in truth else i
                                 for i in turn["shown"])
                print(f"  [{turn['situation']}->{turn['intent']}{' ?' + q if q else ''}] {turn['say']!r}\n"
                      f"      {turn['reply'][:110]!r}\n      {shown}")
    print(json.dumps(out, ensure_ascii=False, indent=1))
    if args.out:
        Path(args.out).write_text(json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
