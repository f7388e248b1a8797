"""Ingest cost per stage, and old code vs new code on the same videos, interleaved, in CPU seconds per video-second.

    .venv/bin/python bench/bench_ingest_stages.py --old /work/main --tune 20 --demo 36 \
        --json bench/results/ingest_stages.json

Each code tree (``--old`` a checkout of the baseline, the new one this repository) gets one worker process, started
with that tree first on PYTHONPATH and one BLAS/ONNX/CTranslate2 thread (as an ingest worker has). The driver sends
the same videos to both workers, one video at a time, alternating which tree goes first, so a busy spell on a
shared machine falls on both. A worker analyses the video with ``vidrec.ingest.analysis.analyze_item`` (everything
the ingest does per video, every modality on) and writes the result into a scratch store (``StoreWriter.write``),
and reports its own CPU time per stage: the stages are the analysis' own, split further by timing the functions
inside them (video decode, shot detection, audio decode, VAD, whisper, text embedding, the store write). The models
are loaded and warmed on one video before timing (loading is per process, not per video).

Videos: the demo catalog (examples/demo) and the first ``--tune`` rows of the evaluation catalog's TUNE split
(``catalog_bare_tune.csv``; held-out rows are never read). Both trees' results are compared: category, colour
and price attributes, transcript text and on-screen text (agreement rates), and, on the tune videos, category,
colour and price against the catalog's ground truth.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


# --- worker (runs inside the tree under test) ----------------------------------------------------------------------
def _timed(owner, name: str, stage: str, bucket: dict[str, float]) -> None:
    """Wrap ``owner.name`` so that its CPU time (outermost call only) is added to ``bucket[stage]``."""
    fn = getattr(owner, name, None)
    if fn is None:
        return
    depth = [0]

    def wrapper(*args, **kwargs):
        depth[0] += 1
        t0 = time.process_time()
        try:
            return fn(*args, **kwargs)
        finally:
            depth[0] -= 1
            if depth[0] == 0:
                bucket[stage] = bucket.get(stage, 0.0) + time.process_time() - t0

    setattr(owner, name, wrapper)


def worker(taxonomy_file: str | None) -> None:
    """Read {"id", "video"} lines on stdin, answer one JSON line each (stage CPU seconds and what was understood)."""
    for var in THREAD_VARS:
        os.environ.setdefault(var, "1")
    import vidrec.encoders.speech as speech
    import vidrec.encoders.text as text
    import vidrec.media as media
    from vidrec.catalog import Item
    from vidrec.config import IngestSettings
    from vidrec.ingest.analysis import analyze_item
    from vidrec.ingest.executors import one_thread_per_worker
    from vidrec.ingest.models import shared_models
    from vidrec.ingest.writer import StoreWriter
    from vidrec.vocabulary import Taxonomy

    one_thread_per_worker()
    fine: dict[str, float] = {}
    _timed(media, "sample_frames", "decode.video", fine)
    _timed(media, "detect_shots", "shots", fine)
    _timed(media, "decode_audio", "decode.audio", fine)
    _timed(speech.SpeechRecognizer, "speech_chunks", "speech.vad", fine)
    for cls in vars(text).values():
        if isinstance(cls, type) and "encode" in vars(cls):
            _timed(cls, "encode", "fuse.text_embed", fine)
    settings = IngestSettings(workers=1)
    taxonomy = Taxonomy.from_file(Path(taxonomy_file)) if taxonomy_file else Taxonomy.default()
    models = shared_models(settings, taxonomy, None)
    if os.environ.get("VIDREC_BENCH_GATES_OFF") == "1":  # --gates-off: the ingest as it was before the gates
        import vidrec.encoders.ocr as ocr

        for cls in vars(ocr).values():
            if isinstance(cls, type) and "may_hold_text" in vars(cls):
                cls.may_hold_text = lambda self, frame: True  # every picked frame is read in full
        models.speech.settings.retry_full_window = True  # a chunk that kept nothing is decoded again, whole
    scratch = tempfile.mkdtemp(prefix="vidrec-stages-")
    writer = StoreWriter.open(scratch, taxonomy=taxonomy)
    warm = True
    for line in sys.stdin:
        req = json.loads(line)
        item = Item(id=req["id"], video=Path(req["video"]))
        fine.clear()
        c0, w0 = time.process_time(), time.perf_counter()
        result = analyze_item(item, "bench", models, settings, [])
        t0 = time.process_time()
        writer.write(result)
        write_s = time.process_time() - t0
        cpu, wall = time.process_time() - c0, time.perf_counter() - w0
        if warm and req.get("warmup"):
            print(json.dumps({"id": req["id"], "warmup": True}), flush=True)
            continue
        warm = False
        stages = dict(result.timings)
        split = {
            "decode.video": fine.get("decode.video", 0.0),
            "shots": fine.get("shots", 0.0),
            "decode.audio": fine.get("decode.audio", 0.0),
            "decode.other": stages.get("decode", 0.0) - fine.get("decode.video", 0.0) - fine.get("shots", 0.0)
            - fine.get("decode.audio", 0.0),
            "visual": stages.get("visual", 0.0),
            "colour": stages.get("colour", 0.0),
            "ocr": stages.get("ocr", 0.0),
            "speech.vad": fine.get("speech.vad", 0.0),
            "speech.asr": stages.get("speech", 0.0) - fine.get("speech.vad", 0.0),
            "fuse.text_embed": fine.get("fuse.text_embed", 0.0),
            "fuse.other": stages.get("fuse", 0.0) - fine.get("fuse.text_embed", 0.0),
            "write": write_s,
        }
        for k, v in stages.items():  # a stage this script does not know yet
            if k not in ("decode", "visual", "colour", "ocr", "speech", "fuse"):
                split[k] = v
        attrs = result.profile.get("attributes") or {}
        value = {k: (attrs.get(k) or {}).get("value") for k in ("category", "color", "colors", "price")}
        print(json.dumps({
            "id": req["id"], "video_seconds": result.video_seconds, "cpu": cpu, "wall": wall,
            "stages": {k: round(v, 4) for k, v in split.items()},
            "attributes": value,
            "transcript": " ".join(t["text"] for t in result.profile.get("transcript") or []),
            "ocr": [o["text"] for o in result.profile.get("ocr") or []],
            "ocr_frames": result.timings.get("ocr_frames"),
        }, ensure_ascii=False, default=str), flush=True)
    writer.close()
    shutil.rmtree(scratch, ignore_errors=True)


# --- driver --------------------------------------------------------------------------------------------------------
class Worker:
    def __init__(self, name: str, tree: Path, taxonomy: Path | None, gates_off: bool = False) -> None:
        env = dict(os.environ, PYTHONPATH=str(tree))
        env["VIDREC_BENCH_GATES_OFF"] = "1" if gates_off else "0"
        for var in THREAD_VARS:
            env[var] = "1"
        cmd = [sys.executable, str(Path(__file__).resolve()), "--worker"]
        if taxonomy:
            cmd += ["--taxonomy", str(taxonomy)]
        self.name = name
        self.proc = subprocess.Popen(cmd, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                     cwd=str(tree))

    def ask(self, req: dict) -> dict:
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(json.dumps(req) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise SystemExit(f"error: the {self.name} worker died (see its stderr above)")
        return json.loads(line)

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait(timeout=120)


def videos(demo: int, tune: int, catalog: Path) -> list[dict]:
    out = []
    with (ROOT / "examples/demo/catalog.csv").open(encoding="utf-8") as f:
        for row in list(csv.DictReader(f))[:demo]:
            out.append({"id": row["id"], "video": str(ROOT / "examples/demo" / row["video"]), "set": "demo"})
    if tune:
        truth = {}
        with (catalog / "ground_truth.csv").open(encoding="utf-8") as f:
            for row in csv.DictReader(f):
                if row["split"] == "tune":  # held-out truth is never read
                    truth[row["id"]] = row
        with (catalog / "catalog_bare_tune.csv").open(encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        # every 4th row: the build lists the tune rows type by type, so this mixes types, languages, captions
        step = max(1, len(rows) // tune)
        for row in rows[::step][:tune]:
            t = truth[row["id"]]
            out.append({"id": row["id"], "video": str(catalog / row["video"]), "set": "tune",
                        "truth": {"category": t["articleType"], "colour": t["baseColour"],
                                  "price": t["stated_price"], "spoken_lang": t["spoken_lang"],
                                  "caption": t["caption"]}})
    return out


def _norm(s) -> str:
    return "".join(ch for ch in str(s or "").lower() if ch.isalnum())


def _similar(a: str, b: str) -> float:
    import difflib

    a, b = _norm(a), _norm(b)
    if not a and not b:
        return 1.0
    return difflib.SequenceMatcher(None, a, b).ratio()


def bootstrap(values: list[float], n: int = 2000, seed: int = 0) -> dict:
    """The mean of `values` with a 95 % percentile bootstrap interval."""
    import random

    if not values:
        return {"mean": None, "ci95": None, "n": 0}
    rng = random.Random(seed)
    k = len(values)
    draws = sorted(sum(values[rng.randrange(k)] for _ in range(k)) / k for _ in range(n))
    return {"mean": round(sum(values) / k, 4), "ci95": [round(draws[int(0.025 * n)], 4),
                                                       round(draws[int(0.975 * n) - 1], 4)], "n": k}


def compare(rows: list[dict], names: list[str]) -> dict:
    """Per-tree totals and, when there are two trees, agreement of the new one with the old one."""
    report: dict = {"trees": {}}
    for name in names:
        video_s = sum(r[name]["video_seconds"] for r in rows)
        cpu = sum(r[name]["cpu"] for r in rows)
        wall = sum(r[name]["wall"] for r in rows)
        stages: dict[str, float] = {}
        for r in rows:
            for k, v in r[name]["stages"].items():
                stages[k] = stages.get(k, 0.0) + v
        by_set = {}
        for s in sorted({r["set"] for r in rows}):
            sel = [r for r in rows if r["set"] == s]
            vs = sum(r[name]["video_seconds"] for r in sel)
            c = sum(r[name]["cpu"] for r in sel)
            by_set[s] = {"videos": len(sel), "video_seconds": round(vs, 1), "cpu_seconds": round(c, 2),
                         "cpu_per_video_second": round(c / vs, 4), "realtime_2_cores": round(2 * vs / c, 2)}
        truth_rows = [r for r in rows if r.get("truth")]
        acc = {}
        if truth_rows:
            def hit(r, key, name=name):
                a = r[name]["attributes"]
                t = r["truth"]
                if key == "category":
                    return _norm(a.get("category")) == _norm(t["category"])
                if key == "colour":
                    cols = [_norm(c) for c in (a.get("colors") or [])] + [_norm(a.get("color"))]
                    return _norm(t["colour"]) in cols
                return a.get("price") is not None and abs(float(a["price"]) - float(t["price"])) < 0.5

            priced = [r for r in truth_rows if r["truth"]["price"]]
            acc = {"category": sum(hit(r, "category") for r in truth_rows) / len(truth_rows),
                   "colour": sum(hit(r, "colour") for r in truth_rows) / len(truth_rows),
                   "price": (sum(hit(r, "price") for r in priced) / len(priced)) if priced else None,
                   "n": len(truth_rows), "n_priced": len(priced)}
            for r in truth_rows:  # per video, for the intervals and the paired differences below
                r.setdefault("hits", {})[name] = {"category": hit(r, "category"), "colour": hit(r, "colour"),
                                                  "price": hit(r, "price") if r["truth"]["price"] else None}
            for key in ("category", "colour", "price"):
                acc[f"{key}_ci95"] = bootstrap([float(r["hits"][name][key]) for r in truth_rows
                                                if r["hits"][name][key] is not None])
        report["trees"][name] = {
            "videos": len(rows), "video_seconds": round(video_s, 1), "cpu_seconds": round(cpu, 2),
            "wall_seconds": round(wall, 2), "cpu_per_video_second": round(cpu / video_s, 4),
            # what 2 dedicated cores reach, one video per core: video seconds / (CPU seconds / 2)
            "realtime_2_cores": round(2 * video_s / cpu, 2),
            "stages_cpu_per_video_second": {k: round(v / video_s, 4) for k, v in stages.items()},
            "by_set": by_set, "accuracy_vs_truth": acc,
        }
    if len(names) == 2:
        old, new = names
        n = len(rows)
        agree = {}
        for key in ("category", "color", "colors", "price"):
            agree[key] = sum(r[old]["attributes"].get(key) == r[new]["attributes"].get(key) for r in rows) / n
        agree["transcript_exact"] = sum(_norm(r[old]["transcript"]) == _norm(r[new]["transcript"]) for r in rows) / n
        agree["transcript_similarity_mean"] = sum(_similar(r[old]["transcript"], r[new]["transcript"])
                                                  for r in rows) / n
        agree["ocr_exact"] = sum(sorted(map(_norm, r[old]["ocr"])) == sorted(map(_norm, r[new]["ocr"]))
                                 for r in rows) / n
        agree["ocr_similarity_mean"] = sum(_similar(" ".join(sorted(r[old]["ocr"])), " ".join(sorted(r[new]["ocr"])))
                                           for r in rows) / n
        report["agreement"] = {k: round(v, 4) for k, v in agree.items()}
        report["disagreements"] = [
            {"id": r["id"], **{k: [r[old]["attributes"].get(k), r[new]["attributes"].get(k)]
                               for k in ("category", "color", "price")
                               if r[old]["attributes"].get(k) != r[new]["attributes"].get(k)},
             **({"transcript": [r[old]["transcript"], r[new]["transcript"]]}
                if _norm(r[old]["transcript"]) != _norm(r[new]["transcript"]) else {}),
             **({"ocr": [r[old]["ocr"], r[new]["ocr"]]}
                if sorted(map(_norm, r[old]["ocr"])) != sorted(map(_norm, r[new]["ocr"])) else {})}
            for r in rows
            if any(r[old]["attributes"].get(k) != r[new]["attributes"].get(k) for k in ("category", "color", "price"))
            or _norm(r[old]["transcript"]) != _norm(r[new]["transcript"])
            or sorted(map(_norm, r[old]["ocr"])) != sorted(map(_norm, r[new]["ocr"]))]
        truth_rows = [r for r in rows if r.get("hits")]
        if truth_rows:  # new minus old, paired by video, with a 95 % bootstrap interval
            report["accuracy_difference_new_minus_old"] = {
                key: bootstrap([float(r["hits"][new][key]) - float(r["hits"][old][key]) for r in truth_rows
                                if r["hits"][new][key] is not None])
                for key in ("category", "colour", "price")}
        t_old, t_new = report["trees"][old], report["trees"][new]
        report["cpu_ratio_old_over_new"] = round(t_old["cpu_seconds"] / t_new["cpu_seconds"], 3)
    return report


def end_to_end(trees: list[tuple[str, Path]], rounds: int, workers: int) -> dict:
    """`vidrec ingest` of the whole demo catalog into a new store, each tree in turn (alternating which goes first),
    `rounds` times: wall seconds, and all CPU seconds of the command and its worker processes (model loading, the
    per-run fits and the writes included)."""
    import resource

    runs: list[dict] = []
    for r in range(rounds):
        for name, tree in (trees if r % 2 == 0 else trees[::-1]):
            store = Path(tempfile.mkdtemp(prefix=f"vidrec-e2e-{name}-"))
            env = dict(os.environ, PYTHONPATH=str(tree))
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.perf_counter()
            proc = subprocess.run([sys.executable, "-m", "vidrec.cli", "ingest", str(ROOT / "examples/demo/catalog.csv"),
                                   "--store", str(store / "s"), "--workers", str(workers), "--json"],
                                  env=env, cwd=str(tree), capture_output=True, text=True)
            wall = time.perf_counter() - t0
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            shutil.rmtree(store, ignore_errors=True)
            out = proc.stdout
            if proc.returncode != 0 or "{" not in out:
                raise SystemExit(f"error: the {name} ingest failed ({proc.returncode}): {proc.stderr[-500:]}")
            summary = json.loads(out[out.index("{"): out.rindex("}") + 1])
            cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            video = summary["video_seconds"]
            runs.append({"tree": name, "round": r, "video_seconds": video, "wall_seconds": round(wall, 2),
                         "cpu_seconds": round(cpu, 2), "realtime_wall": round(video / wall, 2),
                         "realtime_2_cores_from_cpu": round(video / (cpu / workers), 2),
                         "load": round(os.getloadavg()[0], 2), "ingested": summary["ingested"]})
            print(f"end to end {name} round {r}: {runs[-1]}", file=sys.stderr, flush=True)
    totals = {}
    for name, _ in trees:
        mine = [x for x in runs if x["tree"] == name]
        video = sum(x["video_seconds"] for x in mine)
        cpu = sum(x["cpu_seconds"] for x in mine)
        wall = sum(x["wall_seconds"] for x in mine)
        totals[name] = {"runs": len(mine), "cpu_seconds_per_run": round(cpu / len(mine), 2),
                        "realtime_2_cores_from_cpu": round(video / (cpu / workers), 2),
                        "realtime_wall": round(video / wall, 2)}
    return {"runs": runs, "totals": totals}


# the Chinese names bench/eval_ingest.py writes into the evaluation's taxonomy (bench/build_eval_catalog.py)
def _category_zh() -> dict[str, str]:
    sys.path.insert(0, str(ROOT))
    try:
        from bench.build_eval_catalog import CATEGORY_WORDS
    except ImportError:
        return {}
    return {k: v[0] for k, v in CATEGORY_WORDS.items()}


CATEGORY_ZH: dict[str, str] = {}


def run_set(todo: list[dict], trees: list[tuple[str, Path]], taxonomy: Path | None, done: int,
            total: int) -> list[dict]:
    """Both trees on the same videos, one video at a time, alternating which goes first."""
    workers = [Worker(name, tree, taxonomy, gates_off=(name == "gates_off")) for name, tree in trees]
    rows = []
    try:
        for w in workers:  # load and warm the models (not timed)
            w.ask({"id": "warmup", "video": todo[0]["video"], "warmup": True})
        for i, v in enumerate(todo):
            order = workers if (done + i) % 2 == 0 else workers[::-1]
            row = dict(v)
            for w in order:
                row[w.name] = w.ask({"id": v["id"], "video": v["video"]})
            rows.append(row)
            print(f"{done + i + 1}/{total} {v['id']}: " + ", ".join(
                f"{w.name} {row[w.name]['cpu']:.2f} CPU-s" for w in workers), file=sys.stderr, flush=True)
    finally:
        for w in workers:
            w.close()
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--taxonomy", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--old", type=Path, help="a checkout of the baseline code (e.g. a worktree of main)")
    ap.add_argument("--demo", type=int, default=36, help="demo videos (examples/demo), the first N")
    ap.add_argument("--tune", type=int, default=20, help="tune-split evaluation videos")
    ap.add_argument("--catalog", type=Path, default=Path("/work/evalab-data/catalog"))
    ap.add_argument("--end-to-end", type=int, default=0, metavar="ROUNDS",
                    help="instead: `vidrec ingest` of the demo catalog with 2 workers, each tree ROUNDS times")
    ap.add_argument("--gates-off", action="store_true",
                    help="instead of --old: this tree with its ingest gates off (every picked frame read in full, "
                         "a speech chunk that kept nothing decoded again) against this tree as it is")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    if args.gates_off and args.old:
        ap.error("give --old or --gates-off, not both")
    if args.worker:
        worker(str(args.taxonomy) if args.taxonomy else None)
        return
    if args.end_to_end:
        trees = ([("old", args.old.resolve())] if args.old else []) + [("new", ROOT)]
        started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        report = {"started": started, **end_to_end(trees, args.end_to_end, 2)}
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps(report, indent=1), encoding="utf-8")
        print(json.dumps(report["totals"], indent=1))
        return
    CATEGORY_ZH.update(_category_zh())
    todo = videos(args.demo, args.tune if (args.catalog / "catalog_bare_tune.csv").is_file() else 0, args.catalog)
    if not todo:
        raise SystemExit("error: no videos (check --demo / --tune / --catalog)")
    trees = ([("old", args.old.resolve())] if args.old else []) + [("new", ROOT)]
    if args.gates_off:
        trees = [("gates_off", ROOT), ("gated", ROOT)]
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    load0 = os.getloadavg()
    scratch = Path(tempfile.mkdtemp(prefix="vidrec-stages-"))
    rows = []
    for name in ("demo", "tune"):
        todo_set = [v for v in todo if v["set"] == name]
        if not todo_set:
            continue
        taxonomy = None
        if name == "tune":  # the evaluation's own categories, as bench/eval_ingest.py gives them
            taxonomy = scratch / "taxonomy.txt"
            taxonomy.write_text("".join(f"{t}\t{CATEGORY_ZH.get(t, t)}\n"
                                        for t in sorted({v["truth"]["category"] for v in todo_set})),
                                encoding="utf-8")
        rows += run_set(todo_set, trees, taxonomy, len(rows), len(todo))
    shutil.rmtree(scratch, ignore_errors=True)
    report = compare(rows, [name for name, _ in trees])
    report["run"] = {"started": started, "load_before": [round(x, 2) for x in load0],
                     "load_after": [round(x, 2) for x in os.getloadavg()], "machine": platform.platform(),
                     "cpus": os.cpu_count(), "trees": {n: str(t) for n, t in trees}}
    report["videos"] = rows
    text = json.dumps(report, ensure_ascii=False, indent=1)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(text, encoding="utf-8")
    summary = {k: v for k, v in report.items() if k not in ("videos", "disagreements")}
    print(json.dumps(summary, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
