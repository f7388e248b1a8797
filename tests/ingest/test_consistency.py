"""The store's derived indexes against its metadata, without models: a writer killed (SIGKILL, in a real
subprocess) between saves, a deletion killed halfway, lost feature files, and `vidrec doctor` on each."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

from vidrec.ingest.analysis import stored_search_text
from vidrec.ingest.consistency import check_store
from vidrec.ingest.features import FeatureFiles
from vidrec.ingest.writer import TEMP_FILES, StoreWriter
from vidrec.store import Store
from vidrec.vocabulary import Taxonomy

TITLES = {"a": "红色纯棉连衣裙", "b": "Blue denim jeans", "c": "Brown suede flats", "d": "黑色真皮系带皮鞋",
          "e": "Magenta leather high heels"}
REPO = Path(__file__).resolve().parents[2]

# A writer in its own process: writes items (features, vectors, keywords, metadata row) as an ingest does, with
# the index saves of an ingest, then is killed with SIGKILL where the argument says.
WRITER = textwrap.dedent("""
    import os, signal, sys
    import numpy as np
    from vidrec.ingest.analysis import ItemAnalysis
    import vidrec.ingest.writer
    from vidrec.ingest.writer import StoreWriter

    vidrec.ingest.writer.SAVE_EVERY_SECONDS = float("inf")  # only the saves below, however slow this machine is
    def analysis(item_id, title, dim=384):
        rng = np.random.default_rng(sum(map(ord, item_id)))
        unit = lambda n: (lambda v: v / np.linalg.norm(v, axis=-1, keepdims=True))(
            rng.normal(size=(n, dim)).astype(np.float32))
        profile = {"id": item_id, "video": f"{item_id}.mp4", "title": title, "metadata": {"title": title}}
        return ItemAnalysis(item_id=item_id, content_hash="h-" + item_id, video_path=f"{item_id}.mp4",
                            profile=profile, facets={}, search_text=title, text_vector=unit(1)[0],
                            image_vector=unit(1)[0], shot_vectors=unit(2), shot_starts=[0.0, 1.5],
                            image_features=np.zeros((2, 8), np.float32), video_seconds=3.0)

    store, stage, titles = sys.argv[1], sys.argv[2], eval(sys.argv[3])
    writer = StoreWriter.open(store)
    run = writer.start_run({"catalog": "c.csv"})
    items = list(titles.items())
    if stage == "between-saves":
        for item_id, title in items[:2]:
            writer.write(analysis(item_id, title))
            writer.record(run, item_id, "ingested", None, 0.1)
        writer.flush()
        for item_id, title in items[2:]:
            writer.write(analysis(item_id, title))
            writer.record(run, item_id, "ingested", None, 0.1)
    elif stage == "mid-delete":  # StoreWriter.delete, killed after the metadata but before the index save
        writer.store.vectors.delete([i for i in ("b",) for i in (i, i + "#image", i + "#shot0", i + "#shot1")])
        writer.store.lexical.delete(["b"])
        writer.store.metadata.delete_items(["b"])
    os.kill(os.getpid(), signal.SIGKILL)
""")


def run_writer(store: Path, stage: str, titles: dict[str, str]) -> None:
    proc = subprocess.run([sys.executable, "-c", WRITER, str(store), stage, repr(titles)], cwd=REPO,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == -9, proc.stderr  # killed where the stage says, not failed on the way


def vidrec(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "vidrec.cli", *args], capture_output=True, text=True,
                          timeout=300, cwd=REPO, env={**os.environ, "COLUMNS": "1000"})


def test_items_committed_before_a_kill_get_back_their_vectors_and_keywords(tmp_path):
    store = tmp_path / "s"
    run_writer(store, "between-saves", TITLES)
    with Store.open(store, readonly=True, rebuilding=True) as s:  # what the kill left: the last 3 unsaved
        assert s.metadata.count() == 5
        assert s.lexical.ids() == {"a", "b"} and {"c", "d", "e"}.isdisjoint(s.vectors.item_ids_of(s.vectors.ids()))
    writer = StoreWriter.open(store)
    try:
        # the writer was killed holding a keyword-index writer, whose working file (lexical/.tmpXXXX) may be left:
        # repair removes it, and none is left
        repaired = dict(writer.repaired)
        assert repaired.pop("temp_files_removed", 0) <= 1
        assert repaired == {"vectors_added": 3, "keywords_added": 3}
        assert len(writer.interrupted_runs) == 1
        check = writer.check()
        assert check.ok and check.unfinished_runs == [], check.to_dict()
        run = writer.store.metadata.get_run(writer.interrupted_runs[0])
        assert run["status"] == "interrupted" and run["counts"]["ingested"] == 5
        for item_id, title in TITLES.items():
            assert writer.store.lexical.search(title, k=1)[0][0] == item_id
            assert item_id in writer.store.vectors and f"{item_id}#shot1" in writer.store.vectors
    finally:
        writer.close()
    assert not [p for pattern in TEMP_FILES for p in store.glob(pattern) if p.is_file()]


def test_a_deletion_killed_halfway_leaves_orphans_that_the_next_writer_removes(tmp_path):
    store = tmp_path / "s"
    run_writer(store, "between-saves", dict(list(TITLES.items())[:2]))
    StoreWriter.open(store).close()  # indexes saved: a, b everywhere
    run_writer(store, "mid-delete", {})
    with Store.open(store, readonly=True, rebuilding=True) as s:
        check = check_store(s, FeatureFiles(store / "features", create=False))
    assert not check.ok and check.items == 1
    assert check.indexes["vectors"].orphaned == ["b"] and check.indexes["keywords"].orphaned == ["b"]
    assert len(check.indexes["features"].orphaned) == 1 and not check.indexes["vectors"].missing
    writer = StoreWriter.open(store)
    try:
        assert writer.repaired == {"vectors_removed": 1, "keywords_removed": 1, "features_removed": 1}
        assert writer.check().ok and writer.store.lexical.ids() == {"a"}
        assert "b#shot0" not in writer.store.vectors
    finally:
        writer.close()


def test_doctor_reports_a_deleted_keyword_index_and_repair_rebuilds_it(tmp_path):
    store = tmp_path / "s"
    run_writer(store, "between-saves", TITLES)
    StoreWriter.open(store).close()
    shutil.rmtree(store / "lexical")
    refused = vidrec("items", "list", "--store", str(store))  # any reader: an error naming the fix
    said = refused.stdout + refused.stderr
    assert refused.returncode != 0 and "doctor" in said and "--repair" in said and "Traceback" not in said
    checked = vidrec("doctor", "--store", str(store))
    assert checked.returncode == 1, checked.stdout + checked.stderr
    assert "keywords" in checked.stdout and "missing entirely" in checked.stdout and "5 items missing" in checked.stdout
    as_json = vidrec("doctor", "--store", str(store), "--json")
    assert as_json.returncode == 1
    report = json.loads(as_json.stdout)
    assert report["ok"] is False and report["indexes"]["keywords"]["missing"] == sorted(TITLES)
    assert report["indexes"]["vectors"]["ok"] and report["indexes"]["features"]["ok"]
    repaired = vidrec("doctor", "--store", str(store), "--repair", "--json")
    assert repaired.returncode == 0, repaired.stdout + repaired.stderr
    assert json.loads(repaired.stdout)["repaired"] == {"keywords_added": 5}
    assert vidrec("doctor", "--store", str(store)).returncode == 0
    with Store.open(store, readonly=True) as s:
        for item_id, title in TITLES.items():
            assert s.lexical.search(title, k=1)[0][0] == item_id


def test_lost_feature_files_mark_their_items_for_analysis_and_doctor_says_so(tmp_path):
    store = tmp_path / "s"
    run_writer(store, "between-saves", TITLES)
    writer = StoreWriter.open(store)
    writer.features.path("c").unlink()
    writer.close()  # (the open above found the store whole)
    (store / "vectors.index").unlink()
    checked = vidrec("doctor", "--store", str(store), "--json")
    assert checked.returncode == 1
    report = json.loads(checked.stdout)
    assert report["indexes"]["vectors"]["absent"] and report["indexes"]["vectors"]["missing"] == sorted(TITLES)
    assert report["indexes"]["features"]["missing"] == ["c"]
    repaired = vidrec("doctor", "--store", str(store), "--repair", "--json")
    assert repaired.returncode == 1  # only an ingest of c's video can bring c back
    report = json.loads(repaired.stdout)
    assert report["repaired"] == {"vectors_added": 4, "reanalyse": 1} and report["awaiting_analysis"] == ["c"]
    assert report["indexes"]["vectors"]["ok"] and report["indexes"]["keywords"]["ok"]
    with Store.open(store, readonly=True) as s:
        assert s.metadata.item_hashes()["c"] is None and s.metadata.get_item("c")["title"] == TITLES["c"]
    human = vidrec("doctor", "--store", str(store))
    assert human.returncode == 1 and "1 items wait to be analysed again" in human.stdout


def test_the_keyword_text_is_rebuilt_from_the_parts_of_a_stored_profile():
    profile = {"id": "x", "video": "x.mp4", "title": "Red cotton dress",
               "metadata": {"title": "Red cotton dress", "description": "Soft", "brand": "Loomwell",
                            "tags": ["party"]},
               "transcript": [{"start": 0.0, "end": 1.0, "text": "hello there", "lang": "en"}]}
    text = stored_search_text("x", profile, Taxonomy.default()).split("\n")
    assert text == ["Red cotton dress", "Soft", "Loomwell", "party", "hello there"]
    assert stored_search_text("y", None, Taxonomy.default()) == ""


def test_an_unreadable_profile_gets_its_keywords_from_its_title(tmp_path):
    store = tmp_path / "s"
    with Store.open(store) as s:
        s.metadata.upsert_item("x", "h", "x.mp4", {"title": "Olive linen dress", "transcript": "not a list"}, {})
    writer = StoreWriter.open(store)
    try:
        assert writer.repaired["keywords_added"] == 1
        assert writer.store.lexical.search("olive linen dress", k=1)[0][0] == "x"
    finally:
        writer.close()
