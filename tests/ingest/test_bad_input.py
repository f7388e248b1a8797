"""One broken video never stops a batch, nothing stored is lost, and a crash mid-run resumes where it stopped."""

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from vidrec.config import IngestSettings
from vidrec.ingest import ingest
from vidrec.library import Library

pytestmark = pytest.mark.slow

FAST = IngestSettings(speech=False, ocr=False, workers=1)


def _demo_rows(demo_dir: Path, n: int) -> list[dict]:
    with open(demo_dir / "catalog.csv", encoding="utf-8") as f:
        return list(csv.DictReader(f))[:n]


def _write_catalog(path: Path, rows: list[dict]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["id", "video", "title", "price"])
        w.writeheader()
        for r in rows:
            w.writerow({k: r.get(k, "") for k in ("id", "video", "title", "price")})
    return path


def test_broken_videos_are_reported_and_the_rest_is_ingested(tmp_path, demo_dir):
    good = _demo_rows(demo_dir, 2)
    store = tmp_path / "store"
    first = _write_catalog(tmp_path / "first.csv",
                           [{**good[0], "video": str(demo_dir / good[0]["video"])}])
    assert ingest(first, store, settings=FAST).ingested == 1

    src = (demo_dir / good[1]["video"]).read_bytes()
    (tmp_path / "zero.mp4").write_bytes(b"")
    (tmp_path / "random.mp4").write_bytes(os.urandom(50_000))
    (tmp_path / "text.mp4").write_text("this is not a video\n" * 100)
    (tmp_path / "truncated.mp4").write_bytes(src[: len(src) // 3])
    (tmp_path / "folder.mp4").mkdir()
    rows = [
        {**good[1], "video": str(demo_dir / good[1]["video"])},
        {"id": "zero", "video": "zero.mp4"},
        {"id": "random", "video": "random.mp4"},
        {"id": "text", "video": "text.mp4"},
        {"id": "truncated", "video": "truncated.mp4"},
        {"id": "missing", "video": "nowhere.mp4"},
        {"id": "folder", "video": "folder.mp4"},
        {"id": "badprice", "video": "zero.mp4", "price": "cheap"},
    ]
    batch = _write_catalog(tmp_path / "batch.csv", rows)
    summary = ingest(batch, store, settings=FAST)
    failed = {f["id"]: f["error"] for f in summary.failed}
    assert summary.ingested >= 1 and good[1]["id"] not in failed
    assert set(failed) >= {"zero", "random", "text", "missing", "folder"}
    assert "empty" in failed["zero"].lower() or "zero" in failed["zero"].lower()
    assert "not found" in failed["missing"]
    assert "folder" in failed["folder"]
    for error in failed.values():
        assert "Traceback" not in error and len(error) < 500
    assert [e["where"] for e in summary.row_errors] == [f"{batch}:9"]
    # a truncated video decodes what it can (with a warning) or fails cleanly; never crashes the run
    with Library.open(store) as lib:
        assert lib.profile(good[0]["id"]) is not None, "an item stored earlier was lost"
        assert lib.profile(good[1]["id"]) is not None
        if "truncated" not in failed:
            assert lib.profile("truncated").warnings


def test_cli_exit_code_and_json_summary_on_failures(tmp_path, demo_dir):
    (tmp_path / "zero.mp4").write_bytes(b"")
    good = _demo_rows(demo_dir, 1)[0]
    catalog = _write_catalog(tmp_path / "c.csv", [{**good, "video": str(demo_dir / good["video"])},
                                                  {"id": "zero", "video": "zero.mp4"}])
    proc = subprocess.run([sys.executable, "-m", "vidrec.cli", "ingest", str(catalog), "--store",
                           str(tmp_path / "s"), "--workers", "1", "--no-speech", "--no-ocr", "--json"],
                          capture_output=True, text=True)
    assert proc.returncode == 1, proc.stderr
    d = json.loads(proc.stdout)
    assert d["ingested"] == 1 and d["failed_count"] == 1 and d["failed"][0]["id"] == "zero"


def test_interrupted_run_resumes(tmp_path, demo_dir):
    rows = [{**r, "video": str(demo_dir / r["video"])} for r in _demo_rows(demo_dir, 3)]
    catalog = _write_catalog(tmp_path / "c.csv", rows)
    store = tmp_path / "store"

    def stop_after_first(item_id, status, done, total):
        if status == "ingested":
            raise KeyboardInterrupt

    s1 = ingest(catalog, store, settings=FAST, progress=stop_after_first)
    assert s1.interrupted and s1.ingested == 1
    s2 = ingest(catalog, store, settings=FAST)
    assert s2.skipped == 1 and s2.ingested == 2 and not s2.failed
    with Library.open(store) as lib:
        assert len(lib) == 3


def test_parallel_workers_match_inline(tmp_path, demo_dir):
    rows = [{**r, "video": str(demo_dir / r["video"])} for r in _demo_rows(demo_dir, 3)]
    catalog = _write_catalog(tmp_path / "c.csv", rows)
    inline = ingest(catalog, tmp_path / "a", settings=FAST, workers=1)
    pooled = ingest(catalog, tmp_path / "b", settings=FAST, workers=2)
    assert inline.ingested == pooled.ingested == 3
    with Library.open(tmp_path / "a") as a, Library.open(tmp_path / "b") as b:
        for r in rows:
            pa, pb = a.profile(r["id"]), b.profile(r["id"])
            assert pa.value("category") == pb.value("category") and pa.value("color") == pb.value("color")
            assert [s.start for s in pa.shots] == [s.start for s in pb.shots]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_video(tmp_path, demo_dir):
    good = _demo_rows(demo_dir, 1)[0]
    p = tmp_path / "locked.mp4"
    shutil.copy(demo_dir / good["video"], p)
    p.chmod(0)
    catalog = _write_catalog(tmp_path / "c.csv", [{"id": "locked", "video": "locked.mp4"}])
    summary = ingest(catalog, tmp_path / "s", settings=FAST)
    assert "permission denied" in summary.failed[0]["error"]


def test_a_deleted_vector_file_is_refused_then_rebuilt_by_the_next_ingest(tmp_path, demo_dir):
    rows = [{**r, "video": str(demo_dir / r["video"])} for r in _demo_rows(demo_dir, 2)]
    catalog = _write_catalog(tmp_path / "c.csv", rows)
    store = tmp_path / "store"
    assert ingest(catalog, store, settings=FAST).ingested == 2
    (store / "vectors.index").unlink()
    exe = [sys.executable, "-m", "vidrec.cli"]
    search = [*exe, "search", rows[0]["title"], "--store", str(store), "--json"]
    wide = {**os.environ, "COLUMNS": "1000"}  # rich wraps the message at the terminal width, mid-word too
    refused = subprocess.run(search, capture_output=True, text=True, env=wide)
    assert refused.returncode == 5 and f"{store / 'vectors.index'} is missing" in refused.stderr
    again = ingest(catalog, store, settings=FAST)
    assert again.skipped == 2 and again.ingested == 0 and not again.failed  # re-indexed from saved features
    found = subprocess.run(search, capture_output=True, text=True)
    assert found.returncode == 0, found.stderr
    assert {h["id"] for h in json.loads(found.stdout)["results"]} == {r["id"] for r in rows}


def test_a_latin1_catalog_with_an_oversized_cell_ingests_every_other_row(tmp_path, demo_dir):
    """Through `vidrec ingest`: the encoding is detected and named, a cell over the csv module's limit and a title
    over ours are bad rows with their lines, and the good rows are ingested with their accents intact."""
    good = _demo_rows(demo_dir, 2)
    videos = [str(demo_dir / r["video"]) for r in good]
    text = ("id,video,title,description\n"
            f"a,{videos[0]},Robe d'été à fleurs,\n"
            f'huge,{videos[0]},Grand,"{"x" * 200_000}"\n'
            f"long-title,{videos[1]},{'é' * 1_001},\n"
            f"b,{videos[1]},Größe M naïve,\n")
    catalog = tmp_path / "latin1.csv"
    catalog.write_bytes(text.encode("latin-1"))
    store = tmp_path / "s"
    proc = subprocess.run([sys.executable, "-m", "vidrec.cli", "ingest", str(catalog), "--store", str(store),
                           "--workers", "1", "--no-speech", "--no-ocr", "--json"], capture_output=True, text=True)
    assert "Traceback" not in proc.stderr
    assert proc.returncode == 1, proc.stderr  # bad rows make the run not ok; they do not stop it
    d = json.loads(proc.stdout)
    assert d["ingested"] == 2 and not d["failed"]
    assert [(e["where"], e["id"]) for e in d["row_errors"]] == [(f"{catalog}:3", "huge"), (f"{catalog}:4", "long-title")]
    assert "description is 200,000 characters" in d["row_errors"][0]["error"]
    (warning,) = d["warnings"]
    assert "Latin-1" in warning and "GB18030" not in warning
    with Library.open(store) as lib:
        assert lib.profile("a").display_title() == "Robe d'été à fleurs"
        assert lib.profile("b").display_title() == "Größe M naïve"
