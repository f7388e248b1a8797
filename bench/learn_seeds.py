"""ml-100k over several training seeds: the mean, the seed-to-seed spread and a paired bootstrap against each baseline.

    # one run per seed (same split; every seeded model, the sequential ones capped at the same number of epochs)
    for s in 0 1 2 3 4; do python bench/learn_ml100k.py --models sasrec-ce,ours,sasrec,als,bpr --seed $s \\
        --max-epochs 15 --out /tmp/seeds/seed$s.json; done
    python bench/learn_ml100k.py --models pop,itemknn --out /tmp/seeds/det.json   # no random numbers: run once
    python bench/learn_seeds.py --seeds /tmp/seeds/seed*.json --fixed /tmp/seeds/det.json \\
        --out bench/results/learn_seeds.json

Per model and metric (NDCG, Recall, Precision, F1 @10 and @20 over the test users' held-out last items, full
ranking): the mean over seeds, the standard deviation over seeds and the min-max. A model that draws no random
numbers (pop, itemknn) has one run, used for every seed (spread 0).

Paired bootstrap of `--model` (the content model, `ours` = content-seq) minus each baseline: the test users are
resampled with replacement (`--bootstrap` times, fixed seed); in each resample the statistic is the mean over seeds
of (model's metric in seed s - baseline's metric in seed s) over the resampled users, so the interval holds both the
user sampling and the training seeds (seed s of one model is paired with seed s of the other; the pairing is
arbitrary, the mean over seeds is not). Also on the cold slice (test items with < 5 training interactions) and the
rare slice (< 20), where content should matter most.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from learn_ml100k import DEFAULT_DATA  # noqa: E402

KS = (10, 20)
METRICS = ("ndcg", "recall", "precision", "f1")


def per_user(ranks: np.ndarray, metric: str, k: int) -> np.ndarray:
    """One held-out item per user (0-based rank among all unseen items): each user's metric at k."""
    hit = (ranks < k).astype(np.float64)
    if metric == "ndcg":
        return np.where(ranks < k, 1.0 / np.log2(ranks + 2.0), 0.0)
    if metric == "recall":
        return hit
    if metric == "precision":
        return hit / k
    if metric == "f1":  # P = hit/k, R = hit: 2PR/(P+R) = 2/(k+1) on a hit
        return hit * 2.0 / (k + 1)
    raise ValueError(metric)


def slices(data: Path) -> dict[str, np.ndarray]:
    """Masks over the test users (in the order the runs' ranks are in): all, cold (< 5), rare (< 20)."""
    from vidrec.learn.evaluate import Evaluator
    from vidrec.learn.interactions import load_interactions
    from vidrec.learn.items import ItemTexts
    from vidrec.learn.split import leave_last_out

    inter = load_interactions(data).with_items(ItemTexts.from_file(next(data.glob("*.item"))).ids())
    split = leave_last_out(inter)
    cold = Evaluator(split, n_boot=1, cold_threshold=5).cold_mask("test")
    rare = Evaluator(split, n_boot=1, cold_threshold=20).cold_mask("test")
    return {"all": np.ones_like(cold, dtype=bool), "cold (<5)": cold, "rare (<20)": rare}


def load_runs(seed_files: list[Path], fixed: list[Path]) -> tuple[dict[str, list[np.ndarray]], dict]:
    """model -> one ranks array per seed (a fixed model's one run repeated), and per-model run info."""
    seeded = [json.loads(p.read_text(encoding="utf-8"))["runs"] for p in seed_files]
    once = {}
    for p in fixed:
        once.update(json.loads(p.read_text(encoding="utf-8"))["runs"])
    names = [n for n in seeded[0] if all(n in s for s in seeded)]
    ranks = {n: [np.asarray(s[n]["ranks"]) for s in seeded] for n in names}
    info = {
        n: {
            "seeds": len(seed_files),
            "params": [s[n]["params"] for s in seeded],
            "epochs": [s[n]["fit_info"].get("epochs") for s in seeded],
            "best_epoch": [s[n]["fit_info"].get("best_epoch") for s in seeded],
            "train_seconds": [s[n]["train_seconds"] for s in seeded],
            "cpu_seconds": [s[n]["fit_info"].get("cpu_seconds") for s in seeded],
        }
        for n in names
    }
    for n, r in once.items():
        ranks[n] = [np.asarray(r["ranks"])] * len(seed_files)
        info[n] = {"seeds": "deterministic (one run)", "params": [r["params"]], "train_seconds": [r["train_seconds"]]}
    lengths = {len(x) for v in ranks.values() for x in v}
    if len(lengths) != 1:
        sys.exit(f"the runs disagree on the number of test users {sorted(lengths)}: not the same split")
    return ranks, info


def summarise(ranks: dict[str, list[np.ndarray]], masks: dict[str, np.ndarray], model: str, n_boot: int) -> dict:
    table = {}
    for name, runs in ranks.items():
        row = {}
        for sl, mask in masks.items():
            for m in METRICS:
                for k in KS:
                    vals = np.array([per_user(r[mask], m, k).mean() for r in runs])
                    row[f"{sl}|{m}@{k}"] = {
                        "mean": float(vals.mean()),
                        "std": float(vals.std(ddof=1)) if len(vals) > 1 else 0.0,
                        "min": float(vals.min()),
                        "max": float(vals.max()),
                        "per_seed": vals.tolist(),
                    }
        table[name] = row
    paired = {}
    for base in ranks:
        if base == model:
            continue
        out = {}
        for sl, mask in masks.items():
            idx = np.flatnonzero(mask)
            if not len(idx):
                continue
            # the same resamples for every baseline (fixed seed per slice)
            sub = np.random.default_rng(0).integers(0, len(idx), size=(n_boot, len(idx)))
            for m in METRICS:
                for k in KS:
                    # (seeds, users) per-user differences, paired by seed and user
                    d = np.stack(
                        [per_user(a[idx], m, k) - per_user(b[idx], m, k)
                         for a, b in zip(ranks[model], ranks[base], strict=True)]
                    )
                    point = float(d.mean())
                    boots = d.mean(axis=0)[sub].mean(axis=1)  # mean over seeds, then over resampled users
                    lo, hi = np.percentile(boots, [2.5, 97.5])
                    out[f"{sl}|{m}@{k}"] = [point, float(lo), float(hi)]
        paired[base] = out
    return {"table": table, "paired": paired, "users": {sl: int(m.sum()) for sl, m in masks.items()}}


def markdown(res: dict, info: dict, model: str) -> str:
    t, p = res["table"], res["paired"]
    order = sorted(t, key=lambda n: -t[n]["all|ndcg@10"]["mean"])
    lines = [
        f"Test users: {res['users']['all']} (cold slice {res['users']['cold (<5)']}, rare slice "
        f"{res['users']['rare (<20)']}); mean over seeds, ± std over seeds, [min-max].",
        "",
        "| model | NDCG@10 | Recall@10 | Precision@10 | F1@10 | NDCG@20 | Recall@20 | epochs (per seed) |",
        "|---|---|---|---|---|---|---|---|",
    ]

    def cell(c: dict) -> str:
        return f"{c['mean']:.4f} ± {c['std']:.4f} [{c['min']:.4f}-{c['max']:.4f}]"

    for n in order:
        r = t[n]
        ep = info[n].get("epochs")
        ep = "-" if not ep or ep[0] is None else ",".join(str(e) for e in ep)
        lines.append(
            f"| {n} | {cell(r['all|ndcg@10'])} | {cell(r['all|recall@10'])} | {cell(r['all|precision@10'])} | "
            f"{cell(r['all|f1@10'])} | {r['all|ndcg@20']['mean']:.4f} ± {r['all|ndcg@20']['std']:.4f} | "
            f"{r['all|recall@20']['mean']:.4f} ± {r['all|recall@20']['std']:.4f} | {ep} |"
        )
    lines += [
        "",
        f"Paired bootstrap, {model} minus each baseline (mean over seeds; 95 % interval over resampled users):",
        "",
        "| baseline | ΔNDCG@10 | ΔRecall@10 | ΔPrecision@10 | ΔF1@10 | ΔNDCG@20 | cold ΔRecall@20 | rare ΔNDCG@10 |",
        "|---|---|---|---|---|---|---|---|",
    ]

    def d(x: list[float]) -> str:
        return f"{x[0]:+.4f} [{x[1]:+.4f}, {x[2]:+.4f}]"

    for n in order:
        if n == model:
            continue
        q = p[n]
        lines.append(
            f"| {n} | {d(q['all|ndcg@10'])} | {d(q['all|recall@10'])} | {d(q['all|precision@10'])} | "
            f"{d(q['all|f1@10'])} | {d(q['all|ndcg@20'])} | {d(q['cold (<5)|recall@20'])} | "
            f"{d(q['rare (<20)|ndcg@10'])} |"
        )
    lines += [
        "",
        "| model | cold (<5) Recall@20 | cold NDCG@10 | rare (<20) Recall@20 | rare NDCG@10 |",
        "|---|---|---|---|---|",
    ]
    for n in order:
        r = t[n]
        lines.append(
            f"| {n} | {cell(r['cold (<5)|recall@20'])} | {cell(r['cold (<5)|ndcg@10'])} | "
            f"{cell(r['rare (<20)|recall@20'])} | {cell(r['rare (<20)|ndcg@10'])} |"
        )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", nargs="+", type=Path, required=True, help="one learn_ml100k.py --out per seed")
    ap.add_argument("--fixed", nargs="*", type=Path, default=[], help="runs of models without random numbers")
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--model", default="ours", help="the run compared with every other")
    ap.add_argument("--bootstrap", type=int, default=1000)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    if len(args.seeds) < 2:
        sys.exit("error: give at least two seeds' runs (--seeds a.json b.json ...)")
    missing = [p for p in [*args.seeds, *args.fixed] if not p.exists()]
    if missing:
        sys.exit(f"error: no such run file {missing[0]}")
    ranks, info = load_runs(args.seeds, args.fixed)
    if args.model not in ranks:
        sys.exit(f"error: no run named {args.model!r}; the runs are {sorted(ranks)}")
    res = summarise(ranks, slices(args.data), args.model, args.bootstrap)
    res["info"] = info
    res["seed_files"] = [str(p) for p in args.seeds]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(res), encoding="utf-8")
    print(markdown(res, info, args.model))


if __name__ == "__main__":
    main()
