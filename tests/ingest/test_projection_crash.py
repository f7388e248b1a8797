"""The catalog-learned projection when an ingest is killed while fitting it: the next run, even one with nothing new
to analyse, fits it again and re-projects every item, and a fit that ran to its end is recognised by a later
process (the fit signature does not depend on Python's per-process hash seed)."""

from __future__ import annotations

import csv
import hashlib
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from seeded_encoder import SeededEncoder

from vidrec.catalog import load_catalog
from vidrec.config import IngestSettings
from vidrec.encoders.projection import ImageTextProjection
from vidrec.encoders.vectors import l2_normalise
from vidrec.ingest import alignment
from vidrec.ingest.analysis import ItemAnalysis
from vidrec.ingest.runner import content_hash, ingest
from vidrec.ingest.writer import StoreWriter
from vidrec.store import Store

REPO = Path(__file__).resolve().parents[2]
# real product names (Myntra productDisplayName, sampled by hand), not vidrec's wording
TITLES = ["Puma Men Black Running Shoes", "Nike Women Pink Sports Bra", "Fabindia Women Red Kurta",
          "Wrangler Men Blue Slim Fit Jeans", "Fossil Women Brown Leather Watch", "Lotto Men Grey Track Pants",
          "Baggit Women Beige Handbag"]
FEATURE_DIM = 16


def make_catalog(tmp_path: Path, n: int) -> Path:
    path = tmp_path / f"catalog{n}.csv"
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "video", "title"])
        for k, title in enumerate(TITLES[:n]):
            video = tmp_path / f"v{k}.mp4"
            video.write_bytes(hashlib.sha256(title.encode()).digest() * 4)  # only hashed, never decoded
            w.writerow([f"p{k}", str(video), title])
    return path


def write_items(store: Path, catalog: Path, ids: set[str]) -> None:
    """Store these catalog items as an ingest would, with made-up features and vectors (no models needed)."""
    settings = IngestSettings()
    writer = StoreWriter.open(store)
    try:
        for k, item in enumerate(load_catalog(catalog).items):
            if item.id not in ids:
                continue
            rng = np.random.default_rng(k)
            feats = rng.uniform(0, 2, (2, FEATURE_DIM)).astype(np.float32)
            vec = l2_normalise(rng.normal(size=384).astype(np.float32))
            writer.write(ItemAnalysis(
                item_id=item.id, content_hash=content_hash(item, settings), video_path=str(item.video),
                profile={"id": item.id, "title": item.title, "metadata": {"title": item.title}}, facets={},
                search_text=item.title, text_vector=vec, image_vector=vec, shot_vectors=np.stack([vec, vec]),
                shot_starts=[0.0, 2.0], image_features=feats, video_seconds=4.0))
        writer.flush()
    finally:
        writer.close()


def in_subprocess(script: str, store: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    head = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(REPO / "tests")!r})
        from seeded_encoder import SeededEncoder
        from vidrec.ingest.alignment import fit_catalog_projection
        from vidrec.ingest.writer import StoreWriter
        writer = StoreWriter.open(sys.argv[1])
    """)
    return subprocess.run([sys.executable, "-c", head + textwrap.dedent(script), str(store)], cwd=REPO,
                          capture_output=True, text=True, timeout=300, env={**os.environ, **env})


def assert_every_item_projected_with_the_saved_projection(store: Path) -> None:
    with Store.open(store, readonly=True) as s:
        projection = ImageTextProjection.load(store / "projection.npz")
        from vidrec.ingest.features import FeatureFiles
        features = FeatureFiles(store / "features", create=False)
        ids = list(s.metadata.item_hashes())
        assert ids
        for item_id in ids:
            shots = projection.project(features.read(item_id)["image_features"].astype(np.float32))
            assert np.allclose(s.vectors.vector(f"{item_id}#image"), l2_normalise(shots.mean(axis=0)), atol=1e-2)
            assert np.allclose(s.vectors.vector(f"{item_id}#shot1"), shots[1], atol=1e-2)


@pytest.fixture
def small_fit(monkeypatch):
    monkeypatch.setattr(alignment, "MIN_TITLED_ITEMS", 5)
    monkeypatch.setattr("vidrec.encoders.text.default_text_encoder", SeededEncoder)


def test_a_fit_killed_halfway_is_done_again_by_the_next_run_with_nothing_to_analyse(tmp_path, small_fit):
    store = tmp_path / "store"
    six, seven = make_catalog(tmp_path, 6), make_catalog(tmp_path, 7)
    write_items(store, six, {f"p{k}" for k in range(6)})
    first = ingest(six, store)  # every video unchanged: nothing analysed, but the store was never fitted
    assert first.skipped == 6 and first.ingested == 0 and first.projection.startswith("fitted on 6 titled"), first
    assert_every_item_projected_with_the_saved_projection(store)
    before = (store / "projection.npz").read_bytes()

    write_items(store, seven, {"p6"})  # a new titled item; the fit of a run is killed after 3 re-projected items
    killed = in_subprocess("fit_catalog_projection(writer, text_encoder=SeededEncoder(), min_items=5)", store,
                           {"VIDREC_FAULT": "reproject:3"})
    assert killed.returncode == -9, killed.stderr
    assert (store / "projection.npz").read_bytes() != before  # the new projection was saved, the vectors were not

    again = ingest(seven, store)
    assert again.skipped == 7 and again.ingested == 0, again
    assert again.projection.startswith("fitted on 7 titled"), again.projection
    assert_every_item_projected_with_the_saved_projection(store)
    assert ingest(seven, store).projection == "no titled item changed since the last fit"


def test_another_process_recognises_a_completed_fit(tmp_path):
    store = tmp_path / "store"
    catalog = make_catalog(tmp_path, 6)
    write_items(store, catalog, {f"p{k}" for k in range(6)})
    fit = "print(fit_catalog_projection(writer, text_encoder={}, min_items=5).reason); writer.close()"
    done = in_subprocess(fit.format("SeededEncoder()"), store, {"PYTHONHASHSEED": "1"})
    assert done.returncode == 0 and done.stdout.startswith("fitted on 6 titled"), done.stdout + done.stderr
    # a later process with another hash seed: nothing changed, so no fit (object() has no encode: a fit would fail)
    later = in_subprocess(fit.format("object()"), store, {"PYTHONHASHSEED": "2"})
    assert later.returncode == 0, later.stderr
    assert later.stdout.strip() == "no titled item changed since the last fit"


def test_a_projection_save_killed_halfway_leaves_a_temporary_file_the_next_writer_removes(tmp_path):
    store = tmp_path / "store"
    write_items(store, make_catalog(tmp_path, 6), {f"p{k}" for k in range(6)})
    killed = in_subprocess("""
        import os, signal, numpy as np
        def half_written(f, **arrays):  # the process dies with part of the file written
            f.write(b"PK" + bytes(4096)); f.flush()
            os.kill(os.getpid(), signal.SIGKILL)
        np.savez_compressed = half_written
        fit_catalog_projection(writer, text_encoder=SeededEncoder(), min_items=5)
    """, store, {})
    assert killed.returncode == -9, killed.stderr
    assert len(list(store.glob("projection.npz.*.tmp"))) == 1 and not (store / "projection.npz").exists()
    writer = StoreWriter.open(store)
    try:
        assert writer.repaired == {"temp_files_removed": 1}
    finally:
        writer.close()
    assert list(store.glob("projection.npz*")) == []


def test_the_keyword_index_temporary_file_of_a_killed_commit_is_removed_too(tmp_path):
    # found by the crash harness: tantivy commits meta.json through a ".tmp" + 6 characters file in the index
    # folder, which stays there when the process is killed in between
    store = tmp_path / "store"
    write_items(store, make_catalog(tmp_path, 6), {f"p{k}" for k in range(6)})
    (store / "lexical" / ".tmpq3ZkP0").write_bytes(b'{"segments": [')
    writer = StoreWriter.open(store)
    try:
        assert writer.repaired == {"temp_files_removed": 1}
        assert writer.check().ok
    finally:
        writer.close()
    assert not list((store / "lexical").glob(".tmp*"))
    with Store.open(store, readonly=True) as s:
        assert s.lexical.ids() == {f"p{k}" for k in range(6)}
