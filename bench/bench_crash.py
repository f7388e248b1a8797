"""Crash harness (issue 19): kill a real `vidrec ingest` with SIGKILL at random moments, resume, check the store.

Each kill starts `vidrec ingest` (a subprocess in its own process group) on a small catalog built from the demo's
videos, kills it at a moment drawn from one of four phases, re-runs the same ingest to completion and checks:

- the re-run ends with exit 0, every catalog item ingested or skipped, none failed;
- `vidrec doctor --store S --json` says consistent;
- every catalog item is in the metadata, the vectors, the keyword index and the feature files (none lost), and no
  index holds an entry of an item that is not in the catalog (none orphaned); no half-written temporary file
  (*.tmp*) is left;
- where the store has its own projection, its fit ran to its end and every item's picture vector is the saved
  projection of its features (a fit killed halfway is done again);
- the exact title finds its item first in the keyword index, and in the full search wherever it does so in a store
  built without a kill (the reference run);
- no process of the killed process group (the ingest's analysis workers) is alive 30 s after the kill.

Phases (how the moment is drawn):
- model_load: a uniform delay in [0.1, 0.9] x the time the reference run took to commit its first item;
- mid_video: once k items are committed (k uniform), a further uniform delay in [0, one item's analysis time];
- after_commit: VIDREC_FAULT=commit:k (vidrec/ingest/faults.py): the process kills itself with SIGKILL right after
  the k-th item's metadata commit, before the vector and keyword indexes are saved (k uniform);
- projection: a store of 51 titled items with its projection fitted, 5 more items added, killed during the
  fit that follows: half of the kills by timing (uniform in [0, the reference fit's time] once the 56 items are
  committed), half with VIDREC_FAULT=reproject:k (k uniform), halfway through re-projecting the vectors.
Runs alternate between --workers 1 and --workers 2 (the projection runs use 1).

    .venv/bin/python bench/bench_crash.py --kills 20 --seed 0 --out bench/results/crash.json

The projection phase needs 56 distinct real product titles for its catalog: the demo's 36 and 20 product names
from Myntra (--titles, /work/shared/data/products-myntra/styles.csv), on reused demo videos. Without that file
the projection phase is left out and the run says so.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import psutil

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "examples" / "demo"
DEFAULT_TITLES = Path("/work/shared/data/products-myntra/styles.csv")
PHASES = ("model_load", "mid_video", "after_commit", "projection")
PROJECTION_BASE, PROJECTION_ITEMS = 51, 56  # the template store is fitted on 51 titled items; the run adds 5
WAIT_BOUND_S = 900  # bounds for a loaded machine, never timing assertions
PROCESS_BOUND_S = 30.0


# --- catalogs ------------------------------------------------------------------------------------------------------
def demo_rows() -> list[dict]:
    with open(DEMO / "catalog.csv", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def extra_titles(path: Path, n: int, seed: int) -> list[str]:
    """``n`` distinct real product names (Myntra productDisplayName), drawn with ``seed``."""
    with open(path, encoding="utf-8") as f:
        names = sorted({r["productDisplayName"].strip() for r in csv.DictReader(f) if r.get("productDisplayName")})
    return random.Random(seed).sample(names, n)


def write_catalog(path: Path, n: int, titles: list[str] | None = None) -> list[dict]:
    """The first ``n`` demo items; past the demo's, items with ``titles`` on the demo's videos again."""
    demo = demo_rows()
    rows = []
    for k in range(n):
        if k < len(demo):
            r = demo[k]
            rows.append({"id": r["id"], "video": str(DEMO / r["video"]), "title": r["title"], "price": r["price"],
                         "category": r["category"], "brand": r["brand"]})
        else:
            assert titles is not None and k - len(demo) < len(titles), "not enough extra titles"
            rows.append({"id": f"x{k:03d}", "video": str(DEMO / demo[k % len(demo)]["video"]),
                         "title": titles[k - len(demo)], "price": str(50 + k), "category": "", "brand": ""})
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return rows


# --- processes -----------------------------------------------------------------------------------------------------
def vidrec_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "vidrec.cli", *args]


def ingest_command(catalog: Path, store: Path, workers: int) -> list[str]:
    return vidrec_command("ingest", str(catalog), "--store", str(store), "--workers", str(workers), "--no-speech",
                          "--no-ocr", "--json")


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "VIDREC_FAULT"}
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["COLUMNS"] = "1000"
    return {**env, **(extra or {})}


def group_members(pgid: int) -> list[psutil.Process]:
    """Live (not zombie) processes of process group ``pgid``."""
    found = []
    for p in psutil.process_iter(["status"]):
        try:
            if os.getpgid(p.pid) == pgid and p.info["status"] != psutil.STATUS_ZOMBIE:
                found.append(p)
        except (ProcessLookupError, psutil.NoSuchProcess):
            continue
    return found


def left_behind(pgid: int, descendants: list[psutil.Process], bound_s: float = PROCESS_BOUND_S) -> list[str]:
    """What of the killed ingest is still alive after up to ``bound_s``; those are then killed (and reported)."""
    deadline = time.monotonic() + bound_s
    while True:
        alive = {p.pid: p for p in group_members(pgid)}
        for p in descendants:
            try:
                if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                    alive[p.pid] = p
            except psutil.NoSuchProcess:
                pass
        if not alive or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    names = []
    for p in alive.values():
        try:
            names.append(f"{p.pid} {' '.join(p.cmdline())[:120]}")
            p.kill()
        except psutil.NoSuchProcess:
            pass
    return names


def sql(store: Path, query: str) -> list[tuple]:
    db = store / "vidrec.sqlite"
    if not db.exists():
        return []
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            return conn.execute(query).fetchall()
    except sqlite3.OperationalError:  # not created yet, or busy for longer than the timeout
        return []


def committed(store: Path) -> int:
    rows = sql(store, "SELECT count(*) FROM items WHERE deleted = 0 AND content_hash IS NOT NULL")
    return int(rows[0][0]) if rows else 0


def fit_state(store: Path) -> str | None:
    from vidrec.ingest.consistency import FIT_KEY
    rows = sql(store, f"SELECT value FROM meta WHERE key = '{FIT_KEY}'")
    return json.loads(rows[0][0]) if rows else None


# --- one kill ------------------------------------------------------------------------------------------------------
@dataclass
class Plan:
    index: int
    phase: str
    seed: int
    workers: int
    method: str = "timing"  # or the VIDREC_FAULT value
    delay_s: float | None = None  # model_load: after the start; mid_video / projection: after `after_items`
    after_items: int | None = None


@dataclass
class Outcome:
    plan: dict
    killed_at_s: float | None = None
    committed_at_kill: int = 0
    observed: str = ""  # where the kill landed, from what the store showed at that moment
    exit_code: int | None = None
    left_processes: list[str] = field(default_factory=list)
    rerun_exit: int | None = None
    rerun: dict = field(default_factory=dict)  # ingested / skipped / failed / repaired / closed_runs
    doctor_ok: bool = False
    lost: dict[str, list[str]] = field(default_factory=dict)  # index -> catalog items it lacks
    orphaned: dict[str, list[str]] = field(default_factory=dict)  # index -> entries of no catalog item
    temp_files: list[str] = field(default_factory=list)
    projection_ok: bool | None = None  # None: the store has no projection of its own
    keyword_misses: list[str] = field(default_factory=list)  # exact title not first in the keyword index
    search_misses: list[str] = field(default_factory=list)  # not first in full search, though first in reference
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return (self.rerun_exit == 0 and self.doctor_ok and not any(self.lost.values())
                and not any(self.orphaned.values()) and not self.temp_files and self.projection_ok is not False
                and not self.keyword_misses and not self.search_misses and not self.left_processes
                and not self.rerun.get("failed"))


@dataclass
class Context:
    work: Path
    small_catalog: Path
    small_rows: list[dict]
    t_first_s: dict[int, float] = field(default_factory=dict)  # workers -> seconds to the first commit
    item_s: float = 1.0  # one item's analysis, from the reference run
    reference_first: dict[str, set[str]] = field(default_factory=dict)  # catalog -> ids whose title finds them first
    projection_catalog: Path | None = None
    projection_rows: list[dict] = field(default_factory=list)
    projection_template: Path | None = None
    fit_s: float = 0.0


def draw(plan: Plan, ctx: Context, rng: random.Random) -> None:
    n = len(ctx.small_rows)
    if plan.phase == "model_load":
        plan.delay_s = round(rng.uniform(0.1, 0.9) * ctx.t_first_s[plan.workers], 2)
    elif plan.phase == "mid_video":
        plan.after_items = rng.randint(1, n - 2)
        plan.delay_s = round(rng.uniform(0.0, ctx.item_s), 2)
    elif plan.phase == "after_commit":
        plan.method = f"commit:{rng.randint(1, n - 1)}"
    elif plan.phase == "projection":
        if rng.random() < 0.5:
            plan.method = f"reproject:{rng.randint(1, PROJECTION_ITEMS)}"
        else:
            plan.after_items = PROJECTION_ITEMS
            plan.delay_s = round(rng.uniform(0.0, ctx.fit_s), 2)


def run_one(plan: Plan, ctx: Context) -> Outcome:
    started = time.monotonic()
    out = Outcome(plan=asdict(plan))
    store = ctx.work / f"kill{plan.index:02d}-{plan.phase}"
    shutil.rmtree(store, ignore_errors=True)
    if plan.phase == "projection":
        shutil.copytree(ctx.projection_template, store)
        catalog, rows = ctx.projection_catalog, ctx.projection_rows
    else:
        catalog, rows = ctx.small_catalog, ctx.small_rows
    fault = {"VIDREC_FAULT": plan.method} if plan.method != "timing" else {}
    log = open(ctx.work / f"kill{plan.index:02d}.log", "wb")
    proc = subprocess.Popen(ingest_command(catalog, store, plan.workers), cwd=REPO, env=child_env(fault),
                            stdout=log, stderr=log, start_new_session=True)
    t0 = time.monotonic()
    descendants: list[psutil.Process] = []
    try:
        deadline = t0 + WAIT_BOUND_S
        if plan.after_items is not None:
            while committed(store) < plan.after_items and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.02)
            due = time.monotonic() + (plan.delay_s or 0.0)
        elif plan.delay_s is not None:
            due = t0 + plan.delay_s
        else:  # the process kills itself
            due = deadline
        while proc.poll() is None and time.monotonic() < due:
            try:
                descendants = psutil.Process(proc.pid).children(recursive=True) or descendants
            except psutil.NoSuchProcess:
                break
            time.sleep(0.02)
        out.committed_at_kill = committed(store)
        fit = fit_state(store)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        out.exit_code = proc.wait()
        out.killed_at_s = round(time.monotonic() - t0, 2)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.close()
    out.observed = observed(plan, out, fit, len(rows), ctx)
    out.left_processes = left_behind(proc.pid, descendants)
    check_after_rerun(out, catalog, store, rows, plan.workers, ctx)
    out.seconds = round(time.monotonic() - started, 1)
    return out


def observed(plan: Plan, out: Outcome, fit: str | None, n: int, ctx: Context) -> str:
    """Where the kill landed, as far as the store and the exit status tell."""
    if out.exit_code != -signal.SIGKILL:
        return f"missed: the ingest ended by itself (exit {out.exit_code})"
    if plan.phase == "projection":
        if out.committed_at_kill < n:
            return f"missed: before the fit ({out.committed_at_kill}/{n} items committed)"
        from vidrec.ingest.alignment import fit_signature

        if fit == fit_signature([(r["id"], r["title"]) for r in ctx.projection_rows]):
            return "after the fit (last saves, exit)"
        return "fit: re-projecting (projection saved)" if fit == "" else "fit: learning (nothing saved yet)"
    if out.committed_at_kill == 0:
        before_first = ctx.t_first_s.get(plan.workers, 0.0) - ctx.item_s
        return "model load" if (out.killed_at_s or 0.0) < before_first else "first video"
    if plan.phase == "after_commit":
        return f"after commit {out.committed_at_kill}, indexes unsaved"
    return f"mid video {out.committed_at_kill + 1}" if out.committed_at_kill < n else "after the last video"


# --- checks --------------------------------------------------------------------------------------------------------
def check_after_rerun(out: Outcome, catalog: Path, store: Path, rows: list[dict], workers: int,
                      ctx: Context) -> None:
    again = subprocess.run(ingest_command(catalog, store, workers), cwd=REPO, env=child_env(), capture_output=True,
                           text=True, timeout=WAIT_BOUND_S)
    out.rerun_exit = again.returncode
    try:
        summary = json.loads(again.stdout)
        out.rerun = {k: summary.get(k) for k in ("ingested", "skipped", "failed", "repaired", "closed_runs",
                                                 "projection")}
        if summary["ingested"] + summary["skipped"] != len(rows):
            out.rerun["failed"] = [*(summary.get("failed") or []), "not every catalog item ingested or skipped"]
    except (json.JSONDecodeError, KeyError):
        out.rerun = {"failed": [f"no summary: {again.stderr.strip()[-300:]}"]}
    doctor = subprocess.run(vidrec_command("doctor", "--store", str(store), "--json"), cwd=REPO, env=child_env(),
                            capture_output=True, text=True, timeout=WAIT_BOUND_S)
    try:
        out.doctor_ok = doctor.returncode == 0 and json.loads(doctor.stdout)["ok"] is True
    except (json.JSONDecodeError, KeyError):
        out.doctor_ok = False
    inspect_store(out, store, rows, ctx)


def inspect_store(out: Outcome, store: Path, rows: list[dict], ctx: Context) -> None:
    from vidrec.encoders.projection import ImageTextProjection
    from vidrec.encoders.vectors import l2_normalise
    from vidrec.ingest.alignment import fit_signature
    from vidrec.ingest.consistency import FIT_KEY
    from vidrec.ingest.features import FeatureFiles
    from vidrec.library import Library
    from vidrec.recommend.search import Searcher
    from vidrec.store import Store

    ids = {r["id"] for r in rows}
    features = FeatureFiles(store / "features", create=False)
    with Store.open(store, readonly=True) as s:
        in_meta = set(s.metadata.item_hashes())
        vector_items = set(s.vectors.item_ids_of(s.vectors.ids()))
        keyword_items = set(s.lexical.ids())
        on_disk = {p.name for p in features.root.iterdir()} if features.root.exists() else set()
        expected_files = {features.path(i).name: i for i in ids}
        out.lost = {"metadata": sorted(ids - in_meta), "vectors": sorted(ids - vector_items),
                    "keywords": sorted(ids - keyword_items),
                    "features": sorted(i for n, i in expected_files.items() if n not in on_disk)}
        out.orphaned = {"metadata": sorted(in_meta - ids), "vectors": sorted(vector_items - ids),
                        "keywords": sorted(keyword_items - ids),
                        "features": sorted(n for n in on_disk if n not in expected_files)}
        out.keyword_misses = [r["id"] for r in rows if [h for h, _ in s.lexical.search(r["title"], k=1)][:1]
                              != [r["id"]]]
        if (store / "projection.npz").exists():
            projection = ImageTextProjection.load(store / "projection.npz")
            titled = [(row["id"], (row.get("profile") or {}).get("title")) for row in s.metadata.items()]
            fitted = s.metadata.get_meta(FIT_KEY) == fit_signature([t for t in titled if t[1]])
            same = True
            for item_id in sorted(ids & in_meta):
                f = features.read(item_id)
                if f is None or not f["image_features"].size:
                    continue
                shots = projection.project(f["image_features"].astype(np.float32))
                held = s.vectors.vector(f"{item_id}#image")
                same &= held is not None and bool(np.allclose(held, l2_normalise(shots.mean(axis=0)), atol=1e-2))
            out.projection_ok = fitted and same
    out.temp_files = sorted(str(p.relative_to(store)) for p in store.rglob("*.tmp*"))
    with Library.open(store) as library:
        searcher = Searcher(library)
        first = {r["id"] for r in rows if [h.id for h in searcher.search(r["title"], k=1).results] == [r["id"]]}
    reference = ctx.reference_first.get(catalog_key(rows))
    if reference is None:  # this is the reference run
        ctx.reference_first[catalog_key(rows)] = first
    else:
        out.search_misses = sorted(reference - first)


def catalog_key(rows: list[dict]) -> str:
    return f"{len(rows)} items from {rows[0]['id']}"


# --- driver --------------------------------------------------------------------------------------------------------
def reference_run(catalog: Path, store: Path, rows: list[dict], workers: int, ctx: Context) -> dict:
    """An ingest without a kill: the times the kill moments are drawn from, and the search results to match."""
    shutil.rmtree(store, ignore_errors=True)
    t0 = time.monotonic()
    proc = subprocess.Popen(ingest_command(catalog, store, workers), cwd=REPO, env=child_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    first = last = None
    while proc.poll() is None:
        done = committed(store)
        if first is None and done >= 1:
            first = time.monotonic() - t0
        if last is None and done >= len(rows):
            last = time.monotonic() - t0
        time.sleep(0.02)
    wall = time.monotonic() - t0
    stdout, stderr = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"the reference ingest failed (exit {proc.returncode}): {stderr.strip()[-500:]}")
    summary = json.loads(stdout)
    out = Outcome(plan={})
    inspect_store(out, store, rows, ctx)
    first, last = first or wall, last or wall
    return {"first_commit_s": first, "summary": summary, "keyword_misses": out.keyword_misses,
            "item_s": (last - first) / max(1, summary["ingested"] - 1),  # the items after the first one
            "after_last_commit_s": wall - last}  # the projection fit, the last saves and the exit


def prepare_projection(ctx: Context, titles: list[str]) -> dict:
    ctx.projection_catalog = ctx.work / "projection.csv"
    ctx.projection_rows = write_catalog(ctx.projection_catalog, PROJECTION_ITEMS, titles)
    base = ctx.work / "projection-base.csv"
    write_catalog(base, PROJECTION_BASE, titles)
    ctx.projection_template = ctx.work / "projection-template"
    shutil.rmtree(ctx.projection_template, ignore_errors=True)
    made = subprocess.run(ingest_command(base, ctx.projection_template, 2), cwd=REPO, env=child_env(),
                          capture_output=True, text=True, timeout=WAIT_BOUND_S)
    if made.returncode != 0 or not json.loads(made.stdout)["projection"].startswith("fitted"):
        raise SystemExit(f"the projection template store failed: {made.stdout[-300:]} {made.stderr[-300:]}")
    copy = ctx.work / "projection-reference"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(ctx.projection_template, copy)
    ref = reference_run(ctx.projection_catalog, copy, ctx.projection_rows, 1, ctx)
    ctx.fit_s = ref["after_last_commit_s"]
    return {"fit_s": round(ctx.fit_s, 2), "projection": ref["summary"]["projection"],
            "keyword_misses": ref["keyword_misses"],
            "search_misses": sorted({r["id"] for r in ctx.projection_rows}
                                    - ctx.reference_first[catalog_key(ctx.projection_rows)])}


def workers_for(index: int, phase: str) -> int:
    """--workers 1 and 2 in turn; 1 for the projection kills (the fit runs in the main process either way)."""
    return 1 if phase == "projection" else 1 + index % 2


def run_harness(phases: list[str], *, seed: int, items: int, work: Path, titles_path: Path | None = None,
                progress=lambda line: print(line, flush=True)) -> dict:
    """Kill once per entry of ``phases`` (in that order), each with its own seed drawn from ``seed``."""
    rng = random.Random(seed)
    ctx = Context(work=work, small_catalog=work / "catalog.csv", small_rows=[])
    ctx.small_rows = write_catalog(ctx.small_catalog, items)
    reference: dict = {}
    plans = [Plan(index=k, phase=phase, seed=rng.randrange(2**31), workers=workers_for(k, phase))
             for k, phase in enumerate(phases)]
    timed = sorted({p.workers for p in plans if p.phase in ("model_load", "mid_video")} or {1})
    for workers in timed:
        ref = reference_run(ctx.small_catalog, work / f"reference-w{workers}", ctx.small_rows, workers, ctx)
        ctx.t_first_s[workers] = ref["first_commit_s"]
        if workers == timed[0]:
            ctx.item_s = ref["item_s"]
        reference[f"workers{workers}"] = {
            "first_commit_s": round(ref["first_commit_s"], 2), "item_s": round(ref["item_s"], 2),
            "keyword_misses": ref["keyword_misses"],
            "search_misses": sorted({r["id"] for r in ctx.small_rows}
                                    - ctx.reference_first[catalog_key(ctx.small_rows)])}
    if "projection" in phases:
        if titles_path is None or not titles_path.exists():
            progress(f"projection phase left out: no titles file ({titles_path})")
            plans = [p for p in plans if p.phase != "projection"]
        else:
            titles = extra_titles(titles_path, PROJECTION_ITEMS - len(demo_rows()), seed)
            reference["projection"] = prepare_projection(ctx, titles)
    outcomes = []
    for plan in plans:
        draw(plan, ctx, random.Random(plan.seed))
        o = run_one(plan, ctx)
        outcomes.append(o)
        progress(row(o))
    return {"seed": seed, "items": items, "reference": reference,
            "kills": [{**asdict(o), "ok": o.ok} for o in outcomes],
            "totals": {"kills": len(outcomes), "ok": sum(o.ok for o in outcomes),
                       "lost": sum(len(v) for o in outcomes for v in o.lost.values()),
                       "orphaned": sum(len(v) for o in outcomes for v in o.orphaned.values()),
                       "processes_left": sum(len(o.left_processes) for o in outcomes),
                       "keyword_misses": sum(len(o.keyword_misses) for o in outcomes),
                       "search_misses": sum(len(o.search_misses) for o in outcomes),
                       "projection_not_refit": sum(o.projection_ok is False for o in outcomes),
                       "missed_phase": sum(o.observed.startswith("missed") for o in outcomes)}}


def row(o: Outcome) -> str:
    p = o.plan
    moment = p["method"] if p["method"] != "timing" else (
        f"{p['delay_s']}s" + (f" after {p['after_items']} items" if p["after_items"] else ""))
    lost = sum(len(v) for v in o.lost.values())
    orphaned = sum(len(v) for v in o.orphaned.values())
    return (f"{p['index']:>2} {p['phase']:<12} w{p['workers']} {moment:<22} {o.observed:<38} "
            f"lost={lost} orph={orphaned} procs={len(o.left_processes)} doctor={'ok' if o.doctor_ok else 'BAD'} "
            f"kw_miss={len(o.keyword_misses)} search_miss={len(o.search_misses)} "
            f"proj={'-' if o.projection_ok is None else o.projection_ok} "
            f"repaired={o.rerun.get('repaired') or {}} {'OK' if o.ok else 'FAIL'} ({o.seconds}s)")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kills", type=int, default=20)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--items", type=int, default=10, help="demo items in the catalog of the non-projection kills")
    ap.add_argument("--titles", type=Path, default=DEFAULT_TITLES, help="Myntra styles.csv (projection phase)")
    ap.add_argument("--phases", default=",".join(PHASES), help="comma-separated, cycled over the kills")
    ap.add_argument("--out", type=Path, help="write the JSON result here")
    ap.add_argument("--keep", type=Path, help="keep the stores and logs in this folder")
    args = ap.parse_args(argv)
    phases = [p for p in args.phases.split(",") if p]
    unknown = sorted(set(phases) - set(PHASES))
    if unknown:
        ap.error(f"unknown phase(s) {', '.join(unknown)}; choose from {', '.join(PHASES)}")
    if not 3 <= args.items <= len(demo_rows()):
        ap.error(f"--items must be between 3 and {len(demo_rows())}")
    plan = [phases[k % len(phases)] for k in range(args.kills)]
    random.Random(args.seed).shuffle(plan)
    work = args.keep or Path(tempfile.mkdtemp(prefix="vidrec-crash-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        result = run_harness(plan, seed=args.seed, items=args.items, work=work, titles_path=args.titles)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    result["command"] = " ".join(["bench/bench_crash.py", *(argv if argv is not None else sys.argv[1:])])
    print(json.dumps({"reference": result["reference"], "totals": result["totals"]}, indent=1, ensure_ascii=False))
    if args.out:
        args.out.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0 if result["totals"]["ok"] == result["totals"]["kills"] else 1


if __name__ == "__main__":
    sys.exit(main())
