"""Variants of `ours` compared on VALIDATION only (how the defaults were chosen; test is printed, never used).

    .venv/bin/python bench/learn_variants.py main '{"gate_kind": "seen", "id_init_std": 0.0}'
    .venv/bin/python bench/learn_variants.py new '{"content_loss": 0.5}' [--mix 0,0.2,0.5]

main: fit on the ml-100k leave-last-out split, print validation NDCG@10 (and test, for the record).
new:  a cold-start probe on validation: a seeded 10 % of the items (seed 1, not the seed-0 set of
      bench/learn_new_items.py) lose every training interaction; the users whose validation item is one of them are
      ranked over all items (HR@20, median rank); the other users early-stop the model. With --mix the serving
      mixture weight `content_mix` is swept after the fit (same model).
Each result is appended as one JSON line to --out.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.learn_ml100k import DEFAULT_DATA  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mode", choices=("main", "new"))
    ap.add_argument("params", help="JSON parameters for ours")
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--mix", default="", help="content_mix values to sweep after the fit, e.g. 0,0.2,0.5")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "learn_variants.jsonl")
    args = ap.parse_args()

    import torch

    torch.set_num_threads(1)
    from vidrec.learn.evaluate import Evaluator, model_ranks, ndcg_from_ranks
    from vidrec.learn.interactions import load_interactions
    from vidrec.learn.items import ItemTexts
    from vidrec.learn.models import make_model
    from vidrec.learn.split import Holdout, leave_last_out

    params = json.loads(args.params)
    inter = load_interactions(args.data)
    items = ItemTexts.from_file(next(args.data.glob("*.item")))
    split = leave_last_out(inter.with_items(items.ids()))
    mixes = [float(x) for x in args.mix.split(",") if x.strip()] or [None]
    rows = []
    if args.mode == "main":
        m = make_model("ours", **params).fit(split.train, items, valid=split.valid)
        ev = Evaluator(split, n_boot=10, seed=0)
        for w in mixes:
            if w is not None:
                m.params["content_mix"] = w
            rows.append(
                {
                    "valid_ndcg@10": ev.evaluate(m, "valid").metrics["ndcg@10"],
                    "test_ndcg@10": ev.evaluate(m, "test").metrics["ndcg@10"],
                    "content_mix": m.params.get("content_mix"),
                }
            )
    else:
        rng = np.random.default_rng(1)
        n = split.train.n_items
        new = np.zeros(n, dtype=bool)
        new[rng.choice(n, size=int(round(0.1 * n)), replace=False)] = True
        train = split.train.select(~new[split.train.item])
        warm = ~new[split.valid.items]
        m = make_model("ours", **params).fit(
            train, items, valid=Holdout(split.valid.users[warm], split.valid.items[warm])
        )
        seqs = train.sequences()
        cu, ci = split.valid.users[~warm], split.valid.items[~warm]
        for w in mixes:
            if w is not None:
                m.params["content_mix"] = w
            r = model_ranks(m, cu, [seqs[u] for u in cu], ci)
            rows.append(
                {
                    "cold_valid_users": int(len(cu)),
                    "cold_valid_ndcg@10": ndcg_from_ranks(r, 10),
                    "cold_valid_hr@20": float((r < 20).mean()),
                    "cold_valid_median_rank": float(np.median(r)),
                    "content_mix": m.params.get("content_mix"),
                }
            )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "a", encoding="utf-8") as fh:
        for row in rows:
            row = {
                "mode": args.mode,
                "params": params,
                **row,
                "best_epoch": m.fit_info.get("best_epoch"),
                "cpu_seconds": m.fit_info.get("cpu_seconds"),
            }
            print(json.dumps(row), flush=True)
            fh.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
