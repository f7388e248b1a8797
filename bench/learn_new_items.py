"""Strict cold start on MovieLens 100K: items nobody has interacted with in training.

    .venv/bin/python bench/learn_new_items.py [--share 0.1] [--models pop,als,sasrec-ce,ours]

A seeded random `share` of the items becomes "new": every interaction with them is removed from training and from
the users' histories. The test users are those whose held-out (last) item is a new item; they are ranked over all
items as in the main benchmark. ID-only models have learned nothing about new items, so only content can place
them; this measures how well `ours` does it. Same split, settings and metrics as bench/learn_ml100k.py.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.learn_ml100k import DEFAULT_DATA, load_average  # noqa: E402


def new_item_split(split, share: float, seed: int = 0):
    from vidrec.learn.split import Holdout, Split

    rng = np.random.default_rng(seed)
    n = split.train.n_items
    new = np.zeros(n, dtype=bool)
    new[rng.choice(n, size=int(round(share * n)), replace=False)] = True
    train = split.train.select(~new[split.train.item])
    v_keep = ~new[split.valid.items]
    t_keep = new[split.test.items] & v_keep  # valid item must not leak a new item into the history either
    info = {
        **split.info,
        "protocol": f"strict cold start: {int(new.sum())} items ({share:.0%}) removed from training",
        "train": len(train),
        "test": int(t_keep.sum()),
    }
    return (
        Split(
            train,
            Holdout(split.valid.users[v_keep], split.valid.items[v_keep]),
            Holdout(split.test.users[t_keep], split.test.items[t_keep]),
            info,
        ),
        new,
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--share", type=float, default=0.1)
    ap.add_argument("--models", default="pop,als,sasrec-ce,ours")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "learn_new_items.json")
    ap.add_argument("--seed", type=int, default=None, help="training seed of the seeded models (default: their own)")
    ap.add_argument("--max-epochs", type=int, default=None, help="epoch cap of the sequential models")
    ap.add_argument("--ours-params", default="{}", help="JSON parameters for ours (e.g. an ablation)")
    ap.add_argument(
        "--variants",
        default="{}",
        help='JSON {"label": {params}}: more rows of ours with other parameters, e.g. {"ours-content-only": '
        '{"use_id": false}}',
    )
    ap.add_argument("--combine", nargs="+", type=Path, help="seed runs' --out files: mean, spread, paired bootstrap")
    args = ap.parse_args()
    if args.combine:
        combine(args.combine)
        return

    import torch

    torch.set_num_threads(1)
    from vidrec.learn.evaluate import Evaluator
    from vidrec.learn.interactions import load_interactions
    from vidrec.learn.items import ItemTexts
    from vidrec.learn.models import make_model
    from vidrec.learn.split import leave_last_out

    inter = load_interactions(args.data)
    items = ItemTexts.from_file(next(args.data.glob("*.item")))
    split, new = new_item_split(leave_last_out(inter.with_items(items.ids())), args.share)
    ev = Evaluator(split, n_boot=1000, seed=0)
    main_results = ROOT / "bench" / "results" / "learn_ml100k.json"
    tuned = {}  # baselines use what the main benchmark picked on validation
    if main_results.exists():
        tuned = {n: r["params"] for n, r in json.loads(main_results.read_text())["runs"].items()}
    rows, out = [], {"split": ev.split_info(), "load_before": load_average(), "models": {}}
    runs = [(n, n, {}) for n in (m.strip() for m in args.models.split(",")) if n]
    runs += [(label, "ours", p) for label, p in json.loads(args.variants).items()]
    for label, name, variant in runs:
        t = time.perf_counter()
        params = {k: v for k, v in tuned.get(name, {}).items()} if name != "ours" else {}
        if name == "ours":
            params.update(json.loads(args.ours_params))
            params.update(variant)
        if args.seed is not None and name in ("als", "bpr", "sasrec", "sasrec-ce", "ours"):
            params["seed"] = args.seed
        if args.max_epochs is not None and name in ("sasrec", "sasrec-ce", "ours"):
            params["max_epochs"] = args.max_epochs
        m = make_model(name, **params).fit(split.train, items, valid=split.valid)
        rep = ev.evaluate(m, "test", name=label)
        out["models"][label] = {
            **rep.to_json(),
            "params": params,
            "cpu_seconds": m.fit_info.get("cpu_seconds"),
            "median_rank": float(np.median(rep.ranks)),
            "ranks": rep.ranks.tolist(),  # per test user, for paired comparisons across runs and seeds
        }
        r, ci = rep.metrics, rep.ci95
        rows.append(
            f"| {label} | {r['ndcg@10']:.4f} [{ci['ndcg@10'][0]:.4f}, {ci['ndcg@10'][1]:.4f}] | "
            f"{r['recall@10']:.4f} | {r['hr@20']:.4f} [{ci['hr@20'][0]:.4f}, {ci['hr@20'][1]:.4f}] | "
            f"{np.median(rep.ranks):.0f} | {m.fit_seconds:.0f} ({m.fit_info.get('cpu_seconds', 0):.0f}) |"
        )
        print(f"{label}: {r['ndcg@10']:.4f} ({time.perf_counter() - t:.0f} s)", file=sys.stderr, flush=True)
    out["load_after"] = load_average()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=1), encoding="utf-8")
    print(
        f"{int(new.sum())} new items; {split.info['test']} test users whose last item is new; "
        f"load average {out['load_before']} -> {out['load_after']}\n"
    )
    print(
        "| model | NDCG@10 [95% CI] | Recall@10 | HR@20 [95% CI] | median rank of the new item | train s (CPU s) |"
    )
    print("|---|---|---|---|---|---|")
    print("\n".join(rows))


def combine(paths: list[Path], n_boot: int = 1000) -> None:
    """Mean ± std over seed runs (same split) of NDCG@10, HR@20 and the new item's median rank, and a paired
    bootstrap (users resampled; per resample the mean over seeds) of each content model minus each ID-only one."""
    runs = [json.loads(p.read_text(encoding="utf-8"))["models"] for p in paths]
    names = [n for n in runs[0] if all(n in r and "ranks" in r[n] for r in runs)]
    ranks = {n: np.array([r[n]["ranks"] for r in runs]) for n in names}  # (seeds, users)

    def hr20(r):
        return (r < 20).astype(float)

    def ndcg10(r):
        return np.where(r < 10, 1.0 / np.log2(r + 2.0), 0.0)

    print(f"{len(paths)} seeds, {ranks[names[0]].shape[1]} test users whose last item is new\n")
    print("| model | NDCG@10 | HR@20 | median rank of the new item |")
    print("|---|---|---|---|")
    for n in names:
        r = ranks[n]
        nd, hr = ndcg10(r).mean(axis=1), hr20(r).mean(axis=1)
        med = np.median(r, axis=1)
        print(f"| {n} | {nd.mean():.4f} ± {nd.std(ddof=1):.4f} | {hr.mean():.4f} ± {hr.std(ddof=1):.4f} "
              f"[{hr.min():.4f}-{hr.max():.4f}] | {med.mean():.0f} ± {med.std(ddof=1):.0f} |")
    content = [n for n in names if n.startswith("ours")]
    users = ranks[names[0]].shape[1]
    draws = np.random.default_rng(0).integers(0, users, size=(n_boot, users))
    print("\n| content model - ID-only | ΔHR@20 [95 %] | ΔNDCG@10 [95 %] |")
    print("|---|---|---|")
    for c in content:
        for b in (n for n in names if n not in content):
            cells = []
            for f in (hr20, ndcg10):
                d = (f(ranks[c]) - f(ranks[b])).mean(axis=0)  # per user, mean over seeds
                boots = d[draws].mean(axis=1)
                lo, hi = np.percentile(boots, [2.5, 97.5])
                cells.append(f"{d.mean():+.4f} [{lo:+.4f}, {hi:+.4f}]")
            print(f"| {c} - {b} | {cells[0]} | {cells[1]} |")


if __name__ == "__main__":
    main()
