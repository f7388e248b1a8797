"""Compare `bench/eval_dialog.py --dialogs` files after the fact: metrics with 95 % bootstrap intervals over targets,
and paired differences (same target, language, opening), pooled over several files (e.g. two phrase banks).

    .venv/bin/python bench/dialog_compare.py --new a-b2.jsonl a-b3.jsonl --old main-b2.jsonl main-b3.jsonl \
        [--boots 1000] [--out compare.json]

A file's episodes are told apart by their file (its bank), so the pairs never cross banks. Reported per system
(vidrec asks, no_questions never asks): success@5 / @10, mean turns to success and mean episode length (failures
count as max turns), overall and on vague / precise openings; new minus old; and, for the new files, asking minus
never asking on vague and precise openings.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repo root, for `bench` and `tools`

from bench.eval_dialog import paired_difference, with_intervals  # noqa: E402
from tools.simulator import PRECISE_OPENINGS, VAGUE_OPENINGS  # noqa: E402

GROUPS = {"all": None, "vague": VAGUE_OPENINGS, "precise": PRECISE_OPENINGS}
KEYS = ("success@10", "success@5", "mean_episode_turns")


def load(paths: list[str]) -> list[dict]:
    out = []
    for n, path in enumerate(paths):
        for line in open(path, encoding="utf-8"):
            if line.strip():
                e = json.loads(line)
                e.pop("dialog", None)
                e["target"] = f"{n}|{e['target']}"  # pairs stay within one file (bank)
                out.append(e)
    return out


def pick(eps: list[dict], system: str, kinds) -> list[dict]:
    return [e for e in eps if e["system"] == system and (kinds is None or e["opening"] in kinds)]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--new", nargs="+", required=True)
    ap.add_argument("--old", nargs="*", default=[])
    ap.add_argument("--boots", type=int, default=1000)
    ap.add_argument("--max-turns", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)
    if args.old and len(args.old) != len(args.new):
        sys.exit("error: give --old files in the same order (and number) as --new")
    rng = random.Random(args.seed)
    new, old = load(args.new), load(args.old)
    out: dict = {"new": args.new, "old": args.old, "boots": args.boots}
    for name, eps in (("new", new), ("old", old)):
        for system in sorted({e["system"] for e in eps}):
            out[f"{name}:{system}"] = {g: with_intervals(pick(eps, system, k), args.max_turns, args.boots, rng)
                                       for g, k in GROUPS.items()}
    if old:
        # a system compared only where every file of both sides holds it (else some pairs would be missing)
        for system in sorted(set.intersection(*({e["system"] for e in eps} for eps in
                                                [*(load([p]) for p in args.new), *(load([p]) for p in args.old)]))):
            out[f"new-old:{system}"] = {f"{g}_{key}": paired_difference(pick(new, system, k), pick(old, system, k),
                                                                       key, args.max_turns, args.boots, rng)
                                        for g, k in GROUPS.items() for key in KEYS}
    for name, eps in (("new", new), ("old", old)):
        if {"vidrec", "no_questions"} <= {e["system"] for e in eps}:
            out[f"ask-never:{name}"] = {
                f"{g}_{key}": paired_difference(pick(eps, "vidrec", k), pick(eps, "no_questions", k), key,
                                                args.max_turns, args.boots, rng)
                for g, k in (("vague", VAGUE_OPENINGS), ("precise", PRECISE_OPENINGS)) for key in KEYS[:2]}
    text = json.dumps(out, indent=1)
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
