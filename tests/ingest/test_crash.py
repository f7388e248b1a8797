"""`vidrec ingest` killed with SIGKILL while it works on real videos: nothing it finished is lost, no worker
outlives it, and the next run marks it interrupted and leaves every item with its vectors and keyword entries."""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from vidrec.ingest.analysis import stored_search_text
from vidrec.store import Store

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
N_ITEMS = 5
WAIT_BOUND_S = 600  # a bound for a loaded machine, never a timing assertion


def catalog_of(demo_dir: Path, out: Path, n: int = N_ITEMS) -> list[dict]:
    with open(demo_dir / "catalog.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))[:n]
    with open(out, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["id", "video", "title", "price"])
        w.writeheader()
        for r in rows:
            w.writerow({"id": r["id"], "video": str(demo_dir / r["video"]), "title": r["title"],
                        "price": r["price"]})
    return rows


def ingest_command(catalog: Path, store: Path, workers: int, extra: tuple[str, ...] = ()) -> list[str]:
    return [sys.executable, "-m", "vidrec.cli", "ingest", str(catalog), "--store", str(store), "--workers",
            str(workers), "--no-speech", "--no-ocr", "--json", *extra]


def committed_items(store: Path) -> int:
    db = store / "vidrec.sqlite"
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            return int(conn.execute("SELECT count(*) FROM items WHERE deleted = 0").fetchone()[0])
    except sqlite3.OperationalError:  # not created yet
        return 0


def start_and_kill_after_first_item(catalog: Path, store: Path, workers: int,
                                    extra: tuple[str, ...] = ()) -> dict[psutil.Process, str]:
    """Start `vidrec ingest`, SIGKILL it once an item is committed; its descendants as they were at the kill,
    with their command lines."""
    proc = subprocess.Popen(ingest_command(catalog, store, workers, extra), cwd=REPO, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + WAIT_BOUND_S
        while committed_items(store) < 1:
            assert proc.poll() is None, f"ingest ended (exit {proc.returncode}) before it could be killed"
            assert time.monotonic() < deadline, "no item was committed within the bound"
            time.sleep(0.05)
        children = {p: " ".join(_cmdline(p)) for p in psutil.Process(proc.pid).children(recursive=True)}
        proc.send_signal(signal.SIGKILL)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()  # reaped: the children's parent is gone for good
    return children


def vidrec(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "vidrec.cli", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=WAIT_BOUND_S, env={**os.environ, "COLUMNS": "1000"})


def gone_within_bound(processes: list[psutil.Process], bound_s: float = 30.0) -> list[psutil.Process]:
    """The processes still running after waiting up to ``bound_s`` (a bound, not a timing assertion)."""
    _, alive = psutil.wait_procs(processes, timeout=bound_s)
    left = []
    for p in alive:
        try:
            if p.status() != psutil.STATUS_ZOMBIE:
                left.append(p)
                p.kill()  # reported by the caller's assertion; not left running after the test
        except psutil.NoSuchProcess:
            pass
    return left


def rerun_and_check(catalog: Path, store: Path, rows: list[dict], workers: int) -> dict:
    again = subprocess.run(ingest_command(catalog, store, workers), cwd=REPO, capture_output=True, text=True,
                           timeout=WAIT_BOUND_S)
    assert again.returncode == 0, again.stderr
    summary = json.loads(again.stdout)
    assert summary["ingested"] + summary["skipped"] == len(rows) and not summary["failed"]
    assert len(summary["closed_runs"]) == 1  # the killed run
    assert any("marked interrupted" in w for w in summary["warnings"]), summary["warnings"]
    checked = subprocess.run([sys.executable, "-m", "vidrec.cli", "doctor", "--store", str(store), "--json"],
                             cwd=REPO, capture_output=True, text=True, timeout=WAIT_BOUND_S)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    with Store.open(store, readonly=True) as s:
        ids = {r["id"] for r in rows}
        assert set(s.metadata.item_hashes()) == ids
        assert s.lexical.ids() == ids
        assert all(i in s.vectors for i in ids)
        killed = s.metadata.get_run(summary["closed_runs"][0])
        assert killed["status"] == "interrupted" and killed["summary"]["interrupted"] is True
        assert s.metadata.runs(unfinished_only=True) == []
        for r in rows:  # an exact title finds its item first
            assert s.lexical.search(r["title"], k=1)[0][0] == r["id"]
        return summary


def test_a_killed_ingest_loses_nothing_and_the_next_run_resumes(tmp_path, demo_dir):
    catalog, store = tmp_path / "c.csv", tmp_path / "store"
    rows = catalog_of(demo_dir, catalog)
    start_and_kill_after_first_item(catalog, store, workers=1)
    with Store.open(store, readonly=True, rebuilding=True) as s:
        assert s.metadata.count() >= 1 and len(s.metadata.runs(unfinished_only=True)) == 1
    summary = rerun_and_check(catalog, store, rows, workers=1)
    assert summary["skipped"] >= 1  # what was committed before the kill was not analysed again

    # the keyword index deleted outright: doctor names it, --repair rebuilds it from the store
    shutil.rmtree(store / "lexical")
    checked = vidrec("doctor", "--store", str(store))
    assert checked.returncode == 1 and "keywords" in checked.stdout and "missing entirely" in checked.stdout
    assert f"{N_ITEMS} items missing" in checked.stdout, checked.stdout
    assert vidrec("doctor", "--store", str(store), "--repair").returncode == 0
    assert vidrec("doctor", "--store", str(store)).returncode == 0
    for r in rows[:2]:
        found = vidrec("search", r["title"], "--store", str(store), "--json")
        assert found.returncode == 0, found.stderr
        assert json.loads(found.stdout)["results"][0]["id"] == r["id"]


def test_a_killed_ingest_takes_its_worker_processes_with_it(tmp_path, demo_dir):
    catalog, store = tmp_path / "c.csv", tmp_path / "store"
    rows = catalog_of(demo_dir, catalog)
    children = start_and_kill_after_first_item(catalog, store, workers=2)
    workers = [p for p, line in children.items() if "spawn_main" in line]
    assert len(workers) == 2, list(children.values())
    left = gone_within_bound(list(children))
    assert left == [], [(p.pid, children[p]) for p in left]
    rerun_and_check(catalog, store, rows, workers=2)


def test_the_keyword_text_rebuilt_from_the_profile_is_what_the_analysis_indexed(tmp_path, demo_dir):
    from vidrec.catalog import load_catalog
    from vidrec.config import IngestSettings
    from vidrec.ingest.analysis import analyze_item
    from vidrec.ingest.models import shared_models
    from vidrec.ingest.runner import content_hash
    from vidrec.vocabulary import Taxonomy

    catalog = tmp_path / "c.csv"
    catalog_of(demo_dir, catalog, n=3)
    settings = IngestSettings(speech=False, ocr=True)
    taxonomy = Taxonomy.default()
    models = shared_models(settings, taxonomy, None)
    for item in load_catalog(catalog).items:
        a = analyze_item(item, content_hash(item, settings), models, settings, [])
        stored = json.loads(json.dumps(a.profile, ensure_ascii=False, default=str))  # as the store keeps it
        assert stored_search_text(item.id, stored, taxonomy) == a.search_text


def _cmdline(p: psutil.Process) -> list[str]:
    try:
        return p.cmdline()
    except (psutil.NoSuchProcess, psutil.ZombieProcess):
        return []



def test_a_killed_ingest_on_a_local_ray_leaves_no_ray_process(tmp_path, demo_dir):
    pytest.importorskip("ray", reason="the Ray runner needs the [ray] extra")
    catalog, store = tmp_path / "c.csv", tmp_path / "store"
    rows = catalog_of(demo_dir, catalog, n=4)
    children = start_and_kill_after_first_item(catalog, store, workers=2, extra=("--ray", "local"))
    names = list(children.values())
    assert any("VideoAnalyser" in n for n in names) and any("raylet" in n for n in names), names
    # the actors (each with its own models) and Ray's node processes go at once; Ray's per-node agents
    # (DashboardAgent, RuntimeEnvAgent) see their raylet gone at once too, but retry the dead GCS for about a
    # minute before they exit
    core = [p for p, n in children.items() if not n.startswith(("ray::DashboardAgent", "ray::RuntimeEnvAgent"))]
    left = gone_within_bound(core)
    assert left == [], [(p.pid, children[p]) for p in left]
    left = gone_within_bound(list(children), bound_s=240.0)
    assert left == [], [(p.pid, children[p]) for p in left]
    assert committed_items(store) >= 1 and len(rows) == 4
