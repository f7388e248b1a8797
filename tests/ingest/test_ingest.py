"""Integration: the real pipeline (PyAV, Lite0, whisper, rapidocr, e5) on the shipped demo videos."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from vidrec.catalog import sample_catalog
from vidrec.ingest import ingest
from vidrec.library import Library
from vidrec.recommend.search import Searcher

pytestmark = pytest.mark.slow
N_ITEMS = 6


def _subset(demo_dir: Path, out: Path, n: int = N_ITEMS) -> tuple[Path, list[dict]]:
    """A small catalog of demo items (first with speech and a caption, also one with neither)."""
    return sample_catalog(demo_dir / "catalog.csv", out, n)


@pytest.fixture(scope="module")
def ingested(tmp_path_factory, demo_dir):
    root = tmp_path_factory.mktemp("ingest")
    catalog, rows = _subset(demo_dir, root / "catalog")
    store = root / "store"
    summary = ingest(catalog, store, workers=1)
    return catalog, rows, store, summary


def test_first_run_ingests_everything(ingested):
    _, rows, _, summary = ingested
    assert summary.failed == [] and summary.row_errors == []
    assert summary.ingested == len(rows) and summary.skipped == 0
    assert summary.video_seconds > 0 and all(v >= 0 for v in summary.stage_seconds.values())


def test_profile_contract(ingested):
    _, rows, store, _ = ingested
    with Library.open(store) as lib:
        for r in rows:
            p = lib.profile(r["id"])
            assert p is not None
            d = p.model_dump()
            for key in ("id", "title", "video", "duration", "attributes", "transcript", "ocr", "shots"):
                assert key in d
            assert d["duration"] > 1 and d["shots"] and all(s["end"] > s["start"] for s in d["shots"])
            for name in ("category", "price"):
                a = d["attributes"][name]
                assert {"value", "confidence", "source", "evidence"} <= set(a)
            assert isinstance(d["attributes"]["price"]["value"], float)
            assert d["attributes"]["price"]["value"] == float(r["price"])


def test_speech_and_captions_are_read(ingested):
    _, rows, store, _ = ingested
    with Library.open(store) as lib:
        profiles = [lib.profile(r["id"]) for r in rows]
    spoken = [p for p in profiles if p.transcript]
    shown = [p for p in profiles if p.ocr]
    assert spoken, "no transcript at all on narrated demo videos"
    assert shown, "no on-screen text at all on captioned demo videos"
    for p in spoken:
        assert all(t.lang in ("zh", "en") and t.end >= t.start for t in p.transcript)
    # prices said or shown agree with the metadata price (or are recorded as conflicts)
    for p in profiles:
        price = p.attributes["price"]
        said = [e for e in price.evidence if e.modality in ("speech", "ocr")]
        if said:
            assert price.conflicts == []


def test_rerun_skips_unchanged_and_picks_up_changes(ingested, tmp_path):
    catalog, rows, store, _ = ingested
    again = ingest(catalog, store, workers=1)
    assert again.skipped == len(rows) and again.ingested == 0
    # change one item's metadata → only it is re-analysed
    text = catalog.read_text(encoding="utf-8").replace(rows[0]["title"], rows[0]["title"] + " 新款", 1)
    catalog.write_text(text, encoding="utf-8")
    changed = ingest(catalog, store, workers=1)
    assert changed.ingested == 1 and changed.skipped == len(rows) - 1


def test_prune_removes_deleted_items(ingested, tmp_path):
    catalog, rows, store, _ = ingested
    lines = catalog.read_text(encoding="utf-8").splitlines()
    smaller = tmp_path / "smaller.csv"
    smaller.write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")
    # relative video paths: keep the file next to the videos
    smaller = smaller.rename(catalog.parent / "smaller.csv")
    kept = ingest(smaller, store, workers=1)
    assert kept.pruned == 0
    pruned = ingest(smaller, store, workers=1, prune=True)
    assert pruned.pruned == 1
    with Library.open(store) as lib:
        assert lib.profile(rows[-1]["id"]) is None
        assert len(lib) == len(rows) - 1
    ingest(catalog, store, workers=1)  # put it back for the other tests


def test_search_finds_by_language_and_filters(ingested):
    _, rows, store, _ = ingested
    with Library.open(store) as lib:
        s = Searcher(lib)
        target = rows[0]
        res = s.search(f"{target['color']} {target['category']}", k=3)
        assert res.results and res.results[0].id == target["id"]
        hit = res.results[0]
        assert hit.why and hit.start is not None and hit.price == float(target["price"])
        cheap = min(float(r["price"]) for r in rows)
        res = s.search(f"under {cheap + 0.5:g}", k=10)
        assert [h.price for h in res.results] and all(h.price <= cheap + 0.5 for h in res.results)


def test_cli_items_show_and_search_json(ingested):
    _, rows, store, _ = ingested
    exe = [sys.executable, "-m", "vidrec.cli"]
    out = subprocess.run([*exe, "items", "show", rows[0]["id"], "--store", str(store), "--json"],
                         capture_output=True, text=True, check=True)
    d = json.loads(out.stdout)
    assert d["id"] == rows[0]["id"] and "category" in d["attributes"]
    out = subprocess.run([*exe, "search", "红色连衣裙 300元以内", "--store", str(store), "--json"],
                         capture_output=True, text=True, check=True)
    d = json.loads(out.stdout)
    assert set(d) == {"query", "parsed", "results"} and d["parsed"]["price_max"] == 300
    for h in d["results"]:
        assert {"id", "title", "price", "score", "start", "why"} <= set(h)
    missing = subprocess.run([*exe, "items", "show", "nope", "--store", str(store)], capture_output=True, text=True)
    assert missing.returncode == 6 and "no item 'nope'" in missing.stderr and "Traceback" not in missing.stderr
