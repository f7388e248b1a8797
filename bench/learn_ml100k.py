"""Every recommender side by side on MovieLens 100K: same temporal leave-last-out split, full ranking.

    .venv/bin/python bench/learn_ml100k.py [--data DIR] [--models pop,itemknn,...] [--out bench/results/learn_ml100k.json]

Each model runs in its own process (so its peak memory is its own): baselines pick their hyper-parameters on the
validation holdout from a small grid (NDCG@10), the sequential models early-stop on it. Test metrics
(NDCG/Recall/HR/Precision/F1 @5/10/20) with 95 % bootstrap intervals (1000 resamples of users, seed 0), the
cold-start slice (held-out item with < 5 training interactions), a paired bootstrap of ours minus the best other
model on NDCG@10, training seconds and peak RSS. Prints a markdown table and writes the JSON.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "interactions" / "ml-100k"
if not DEFAULT_DATA.exists():
    DEFAULT_DATA = Path("/work/shared/data/interactions/ml-100k")

# name -> (model, fixed params, grid searched on validation)
SEQ: dict = {}  # the sequential models' defaults (lr 3e-3, batch 64, <= 60 epochs, patience 8), same for all
RUNS: dict[str, tuple[str, dict, dict]] = {
    "pop": ("pop", {}, {}),
    "itemknn": ("itemknn", {}, {"neighbours": [20, 50, 100, 200]}),
    "als": ("als", {}, {"factors": [32, 64, 128], "regularization": [0.01, 0.1], "alpha": [1.0, 4.0]}),
    "bpr": ("bpr", {"iterations": 200}, {"factors": [32, 64], "learning_rate": [0.01, 0.05]}),
    "sasrec": ("sasrec", dict(SEQ), {}),
    "sasrec-ce": ("sasrec-ce", dict(SEQ), {}),
    "ours": ("ours", dict(SEQ), {}),
    "ours-content-only": ("ours", {**SEQ, "use_id": False}, {}),
    # the first version of ours (2026-11-25): count-gated ID, no content loss, no mixture
    "ours-v1": (
        "ours",
        {**SEQ, "gate_kind": "count", "id_init_std": None, "content_loss": 0.0, "content_mix": 0.0},
        {},
    ),
}
ID_ONLY = ("pop", "itemknn", "als", "bpr", "sasrec", "sasrec-ce")
DEFAULT_RUNS = ("pop", "itemknn", "als", "bpr", "sasrec", "sasrec-ce", "ours", "ours-content-only")


SEQUENTIAL = ("sasrec", "sasrec-ce", "ours")
SEEDED = (*SEQUENTIAL, "als", "bpr")  # pop and itemknn draw no random numbers


def run_one(
    name: str, data: Path, out: Path, bootstrap: int, seed: int | None = None, max_epochs: int | None = None
) -> None:
    """Child process: tune (if a grid), fit, evaluate on test; write JSON with metrics, ranks and peak RSS.

    `seed` replaces the training seed of every model that draws random numbers (the sequential models'
    initialisation, sampling and shuffling; ALS/BPR's initial factors); the split and the bootstrap do not depend
    on it. `max_epochs` caps the sequential models' epochs (the same cap for every seed and model)."""
    import torch

    torch.set_num_threads(1)
    from vidrec.learn.evaluate import Evaluator, ndcg_from_ranks
    from vidrec.learn.interactions import load_interactions
    from vidrec.learn.items import ItemTexts
    from vidrec.learn.models import make_model
    from vidrec.learn.split import leave_last_out

    model_name, fixed, grid = RUNS[name]
    if seed is not None and model_name in SEEDED:
        fixed = {**fixed, "seed": seed}
    if max_epochs is not None and model_name in SEQUENTIAL:
        fixed = {**fixed, "max_epochs": max_epochs}
    inter = load_interactions(data)
    items = ItemTexts.from_file(next(data.glob("*.item")))
    inter = inter.with_items(items.ids())
    split = leave_last_out(inter)
    ev = Evaluator(split, n_boot=bootstrap, seed=0)
    t_all = time.perf_counter()
    tried = []
    best = None
    keys = sorted(grid)
    for values in itertools.product(*(grid[k] for k in keys)) if grid else [()]:
        params = {**fixed, **dict(zip(keys, values, strict=True))}
        m = make_model(model_name, **params).fit(split.train, items, valid=split.valid)
        valid_ndcg = ev.evaluate(m, "valid").metrics["ndcg@10"]
        tried.append({"params": params, "valid_ndcg@10": valid_ndcg, "train_seconds": m.fit_seconds})
        if best is None or valid_ndcg > best[0]:
            best = (valid_ndcg, params, m)
    valid_ndcg, params, model = best
    rep = ev.evaluate(model, "test", name=name)
    rare = Evaluator(split, n_boot=bootstrap, seed=0, cold_threshold=20)
    rare_rep = rare.report_from_ranks(name, rep.ranks, "test")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    mix_curve = None
    if "content_mix" in model.params and model.params.get("use_id", True):
        # diagnostic: the serving mixture weight after the fact, same fitted model (validation and test)
        chosen = model.params["content_mix"]
        mix_curve = []
        for w in (0.0, 0.1, 0.2, 0.3, 0.5):
            model.params["content_mix"] = w
            v, t = ev.ranks(model, "valid"), ev.ranks(model, "test")
            cold = ev.cold_mask("test")
            mix_curve.append(
                {
                    "content_mix": w,
                    "valid_ndcg@10": ndcg_from_ranks(v, 10),
                    "test_ndcg@10": ndcg_from_ranks(t, 10),
                    "test_cold_hr@20": float((t[cold] < 20).mean()) if cold.any() else None,
                }
            )
        model.params["content_mix"] = chosen
    result = {
        "name": name,
        "model": model_name,
        "params": params,
        "report": rep.to_json(),
        "valid_ndcg@10": valid_ndcg,
        "ranks": rep.ranks.tolist(),
        "train_seconds": model.fit_seconds,
        "tuning_seconds": time.perf_counter() - t_all,
        "grid": tried if grid else None,
        "fit_info": {k: v for k, v in model.fit_info.items() if k != "curve"},
        "peak_rss_mb": peak_mb,
        "rare_items_lt20": rare_rep.cold_start,
        "content_mix_curve": mix_curve,
        "split": ev.split_info(),
    }
    out.write_text(json.dumps(result), encoding="utf-8")


def load_average() -> str:
    try:
        return " ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--models", default=",".join(DEFAULT_RUNS), help=f"any of {','.join(RUNS)}")
    ap.add_argument("--jobs", type=int, default=1, help="models trained at the same time (one process each)")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "learn_ml100k.json")
    ap.add_argument("--bootstrap", type=int, default=1000)
    ap.add_argument("--seed", type=int, help="training seed of the sequential models and ALS/BPR (default: 0)")
    ap.add_argument("--max-epochs", type=int, help="epoch cap of the sequential models (default: their own, 60)")
    ap.add_argument("--render", action="store_true", help="print the tables of an earlier run's --out JSON")
    ap.add_argument(
        "--combine",
        nargs="+",
        type=Path,
        help="merge the runs of earlier --out files (same data and split) into --out and print the tables",
    )
    ap.add_argument("--one", help=argparse.SUPPRESS)
    ap.add_argument("--one-out", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        run_one(args.one, args.data, args.one_out, args.bootstrap, args.seed, args.max_epochs)
        return
    if args.combine:
        parts = [json.loads(p.read_text(encoding="utf-8")) for p in args.combine]
        runs = {n: r for part in parts for n, r in part["runs"].items()}
        runs = {n: runs[n] for n in [*RUNS, *runs] if n in runs}
        first, last = parts[0]["summary"], parts[-1]["summary"]
        summary = summarise(
            runs,
            max(p["summary"]["text_feature_seconds"] for p in parts),
            " | ".join(p["summary"]["load_average_before"] for p in parts),
            " | ".join(p["summary"]["load_average_after"] for p in parts),
            args.bootstrap,
        )
        summary["date"], summary["machine"] = first["date"], last["machine"]
        summary["parts"] = [str(p) for p in args.combine]
        args.out.write_text(json.dumps({"summary": summary, "runs": runs}), encoding="utf-8")
        print(markdown(runs, summary))
        return
    if args.render:
        saved = json.loads(args.out.read_text(encoding="utf-8"))
        print(markdown(saved["runs"], saved["summary"]))
        return
    if not args.data.exists():
        sys.exit(f"{args.data}: ml-100k not found; pass --data")
    names = [n.strip() for n in args.models.split(",") if n.strip()]
    unknown = [n for n in names if n not in RUNS]
    if unknown:
        sys.exit(f"unknown runs {unknown}; choose from {list(RUNS)}")

    # text features once (cached under cache_dir()/learn), timed separately from training
    from vidrec.learn.interactions import load_interactions
    from vidrec.learn.items import ItemTexts, content_features

    inter = load_interactions(args.data)
    items = ItemTexts.from_file(next(args.data.glob("*.item")))
    inter = inter.with_items(items.ids())
    t = time.perf_counter()
    content_features(inter.items.ids, items)
    feature_seconds = time.perf_counter() - t

    results = {}
    load_before = load_average()
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    with tempfile.TemporaryDirectory() as tmp:
        pending = list(names)
        running: dict[str, tuple[subprocess.Popen, Path, float]] = {}
        while pending or running:
            while pending and len(running) < max(1, args.jobs):
                name = pending.pop(0)
                out = Path(tmp) / f"{name}.json"
                cmd = [
                    sys.executable,
                    __file__,
                    "--one",
                    name,
                    "--one-out",
                    str(out),
                    "--data",
                    str(args.data),
                ]
                cmd += ["--bootstrap", str(args.bootstrap)]
                if args.seed is not None:
                    cmd += ["--seed", str(args.seed)]
                if args.max_epochs is not None:
                    cmd += ["--max-epochs", str(args.max_epochs)]
                running[name] = (subprocess.Popen(cmd, env=env), out, time.perf_counter())
            time.sleep(0.5)
            for name, (proc, out, t) in list(running.items()):
                if proc.poll() is None:
                    continue
                del running[name]
                if proc.returncode != 0:
                    sys.exit(f"{name} failed with exit code {proc.returncode}")
                results[name] = json.loads(out.read_text())
                r = results[name]
                print(
                    f"{name}: ndcg@10 {r['report']['ndcg@10']:.4f} train {r['train_seconds']:.1f}s "
                    f"({r['fit_info'].get('cpu_seconds', 0):.1f} CPU s; wall {time.perf_counter() - t:.0f}s)",
                    file=sys.stderr,
                    flush=True,
                )
    results = {n: results[n] for n in names}
    summary = summarise(results, feature_seconds, load_before, load_average(), args.bootstrap)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"summary": summary, "runs": results}), encoding="utf-8")
    print(markdown(results, summary))


def summarise(results: dict, feature_seconds: float, load_before: str, load_after: str, n_boot: int) -> dict:
    from vidrec.learn.evaluate import ndcg_from_ranks
    from vidrec.learn.metrics import paired_bootstrap_diff

    s = {
        "date": date.today().isoformat(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, 1 torch thread per model",
        "load_average_before": load_before,
        "load_average_after": load_after,
        "text_feature_seconds": feature_seconds,
    }
    if "ours" in results:
        others = {n: r for n, r in results.items() if n in ID_ONLY}
        if others:
            best = max(others, key=lambda n: others[n]["report"]["ndcg@10"])
            per_user = {}
            for n in ("ours", best):
                ranks = np.array(results[n]["ranks"])
                per_user[n] = np.where(ranks < 10, 1.0 / np.log2(ranks + 2.0), 0.0)
            d, lo, hi = paired_bootstrap_diff(per_user["ours"], per_user[best], n_boot=n_boot, seed=0)
            ours, base = results["ours"]["report"], results[best]["report"]
            s["ours_vs_best_id_only"] = {
                "best": best,
                "ndcg@10": [ours["ndcg@10"], base["ndcg@10"]],
                "relative_gain": ours["ndcg@10"] / base["ndcg@10"] - 1 if base["ndcg@10"] else None,
                "intervals_overlap": not (
                    ours["ci95"]["ndcg@10"][0] > base["ci95"]["ndcg@10"][1]
                    or base["ci95"]["ndcg@10"][0] > ours["ci95"]["ndcg@10"][1]
                ),
                "paired_diff": [d, lo, hi],
                "check": ndcg_from_ranks(np.array(results["ours"]["ranks"]), 10),
            }
    return s


def fmt(r: dict, key: str) -> str:
    lo, hi = r["ci95"][key]
    return f"{r[key]:.4f} [{lo:.4f}, {hi:.4f}]"


def fmt_slice(c: dict, key: str) -> str:
    """A slice's mean and interval (n users), '-' for an empty slice."""
    if c.get(key) is None:
        return "-"
    lo, hi = c["ci95"][key]
    return f"{c[key]:.4f} [{lo:.4f}, {hi:.4f}] (n={c['users']})"


def markdown(results: dict, summary: dict) -> str:
    lines = []
    any_split = next(iter(results.values()))["split"]
    lines.append(
        f"ml-100k: {any_split['users']} users, {any_split['items']} items, {any_split['interactions']} ratings; "
        f"test = last item of each of {any_split['test']} users, full ranking, seen items excluded; "
        f"cold slice = {any_split['cold_start_test_users']} test users whose item has < {any_split['cold_threshold']} "
        "training interactions."
    )
    lines.append("")
    lines.append(
        "| model | NDCG@10 [95% CI] | Recall@10 [95% CI] | NDCG@20 | Recall@20 | NDCG@5 | Recall@5 | "
        "cold NDCG@10 | cold HR@20 | rare (<20) NDCG@10 | train s (CPU s) | peak RSS MB |"
    )
    lines.append("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name, res in results.items():
        r = res["report"]
        c = r["cold_start"]
        cold10 = "-" if c.get("ndcg@10") is None else f"{c['ndcg@10']:.4f}"
        cold20 = "-" if c.get("hr@20") is None else f"{c['hr@20']:.3f}"
        lines.append(
            f"| {name} | {fmt(r, 'ndcg@10')} | {fmt(r, 'recall@10')} | {r['ndcg@20']:.4f} | {r['recall@20']:.4f} | "
            f"{r['ndcg@5']:.4f} | {r['recall@5']:.4f} | {cold10} | {cold20} | "
            f"{res['rare_items_lt20']['ndcg@10']:.4f} (n={res['rare_items_lt20']['users']}) | {res['train_seconds']:.1f} "
            f"({res['fit_info'].get('cpu_seconds', 0):.1f}) | "
            f"{res['peak_rss_mb']:.0f} |"
        )
    lines.append("")
    lines.append(
        "| model | HR@5 | HR@10 | HR@20 | P@5 | P@10 | P@20 | F1@5 | F1@10 | F1@20 | valid NDCG@10 | params |"
    )
    lines.append("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name, res in results.items():
        r = res["report"]
        vals = [r[f"{m}@{k}"] for m in ("hr",) for k in (5, 10, 20)]
        vals += [r[f"precision@{k}"] for k in (5, 10, 20)] + [r[f"f1@{k}"] for k in (5, 10, 20)]
        params = ", ".join(f"{k}={v}" for k, v in res["params"].items())
        lines.append(
            f"| {name} | "
            + " | ".join(f"{v:.4f}" for v in vals)
            + f" | {res['valid_ndcg@10']:.4f} | {params} |"
        )
    lines.append("")
    lines.append(
        "| model | cold (<5) NDCG@10 [95% CI] | cold (<5) HR@20 [95% CI] | rare (<20) NDCG@10 [95% CI] | "
        "rare (<20) HR@20 [95% CI] |"
    )
    lines.append("|---|---|---|---|---|")
    for name, res in results.items():
        lines.append(
            f"| {name} | {fmt_slice(res['report']['cold_start'], 'ndcg@10')} | "
            f"{fmt_slice(res['report']['cold_start'], 'hr@20')} | {fmt_slice(res['rare_items_lt20'], 'ndcg@10')} | "
            f"{fmt_slice(res['rare_items_lt20'], 'hr@20')} |"
        )
    cmp_ = summary.get("ours_vs_best_id_only")
    if cmp_:
        d, lo, hi = cmp_["paired_diff"]
        lines.append("")
        lines.append(
            f"ours vs best ID-only ({cmp_['best']}): NDCG@10 {cmp_['ndcg@10'][0]:.4f} vs {cmp_['ndcg@10'][1]:.4f} "
            f"({cmp_['relative_gain'] * 100:+.1f} % relative); intervals overlap: {cmp_['intervals_overlap']}; "
            f"paired difference {d:+.4f} [{lo:+.4f}, {hi:+.4f}]."
        )
    lines.append("")
    lines.append(
        f"{summary['date']}, {summary['machine']}, load average before/after {summary['load_average_before']} / "
        f"{summary['load_average_after']}; text features (e5, cached after the first run) "
        f"{summary['text_feature_seconds']:.1f} s."
    )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
