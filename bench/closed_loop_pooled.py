"""Seeds of `bench/eval_closed_loop.py` pooled: success@3 / @10 and turns per arm over every session of the given
`--sessions-out` files, and each arm minus a reference arm with a paired 95 % bootstrap over the pooled sessions
(sessions are paired by seed and position, as the closed loop runs the same shoppers in every arm).

    .venv/bin/python bench/closed_loop_pooled.py runs/seed0.jsonl runs/seed1.jsonl [--reference no_model] \
        [--max-turns 10] [--bootstrap 2000] [--out pooled.json]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from eval_closed_loop import paired_ci, success_stats  # noqa: E402

KEYS = ("success@3", "success@10", "mean_turns_capped")


def load(paths: list[Path]) -> dict[str, list[dict]]:
    """Arm -> sessions, the files' sessions one after the other (the same order in every arm of a file)."""
    arms: dict[str, list[dict]] = defaultdict(list)
    for path in paths:
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            sys.exit(f"error: {path} not found; pass the files eval_closed_loop.py --sessions-out wrote")
        per_file: dict[str, list[dict]] = defaultdict(list)
        for n, line in enumerate(lines, 1):
            try:
                row = json.loads(line)
                if row.get("vague"):  # a vague session's line (no success turn): not pooled here
                    continue
                per_file[row["arm"]].append({"success_turn": row["success_turn"]})
            except (ValueError, KeyError, TypeError) as exc:
                sys.exit(f"error: {path}:{n} is not a session line of eval_closed_loop.py ({exc})")
        sizes = {len(v) for v in per_file.values()}
        if len(sizes) != 1:
            sys.exit(f"error: {path}: the arms hold different numbers of sessions {sorted(sizes)}; not one run")
        for arm, sessions in per_file.items():
            arms[arm] += sessions
    if len({len(v) for v in arms.values()}) != 1:
        sys.exit("error: an arm is missing from some of the files; pool runs with the same arms")
    return arms


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="+", type=Path)
    ap.add_argument("--reference", default="no_model")
    ap.add_argument("--max-turns", type=int, default=10)
    ap.add_argument("--bootstrap", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    arms = load(args.files)
    if args.reference not in arms:
        sys.exit(f"error: no arm {args.reference!r} in the files; they hold {', '.join(sorted(arms))}")
    rng = random.Random(args.seed)
    report = {"files": [str(p) for p in args.files], "reference": args.reference,
              "arms": {arm: success_stats(s, args.max_turns) for arm, s in arms.items()},
              "minus_reference": {arm: {k: paired_ci(s, arms[args.reference], k, args.max_turns, args.bootstrap, rng)
                                        for k in KEYS} for arm, s in arms.items() if arm != args.reference}}
    text = json.dumps(report, indent=2)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
