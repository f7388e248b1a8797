"""The Ray runner on a local Ray (2 CPUs) over demo videos: the stored items equal the local runner's."""

from __future__ import annotations

import math

import numpy as np
import pytest

from vidrec.catalog import sample_catalog
from vidrec.config import IngestSettings
from vidrec.ingest import ingest
from vidrec.library import Library
from vidrec.store import Filter, Store

ray = pytest.importorskip("ray", reason="the Ray runner needs the [ray] extra")
pytestmark = pytest.mark.slow
N_ITEMS = 3  # d002 is narrated (speech), captions (OCR) on most; categories, colours and languages vary
VOLATILE = {"updated_at", "ingested_at", "created_at"}


def assert_same(a, b, where: str = "profile") -> None:
    """Equal, except floats within a small tolerance (one-thread vs default-thread BLAS sums)."""
    if isinstance(a, dict):
        assert isinstance(b, dict) and set(a) - VOLATILE == set(b) - VOLATILE, (where, set(a) ^ set(b))
        for key in set(a) - VOLATILE:
            assert_same(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, (list, tuple)):
        assert isinstance(b, (list, tuple)) and len(a) == len(b), (where, a, b)
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_same(x, y, f"{where}[{i}]")
    elif isinstance(a, float) and not isinstance(b, bool):
        assert isinstance(b, (int, float)) and math.isclose(a, b, rel_tol=1e-3, abs_tol=1e-3), (where, a, b)
    else:
        assert a == b, (where, a, b)


@pytest.fixture(scope="module")
def both(tmp_path_factory, demo_dir):
    root = tmp_path_factory.mktemp("ray")
    catalog, _ = sample_catalog(demo_dir / "catalog.csv", root / "catalog", N_ITEMS)
    settings = IngestSettings(speech=True)
    # The local runner as it runs by default, one process per core with one BLAS thread each, as each Ray actor
    # has: whisper's decoding of these synthetic voices is sensitive to the BLAS thread count (d001 is transcribed
    # with several threads and not with one), so the equality holds between runs with the same thread setting.
    local = ingest(catalog, root / "local", settings=settings, workers=2)
    ray.init(num_cpus=2, include_dashboard=False, object_store_memory=256 * 2**20)
    try:
        remote = ingest(catalog, root / "ray", settings=settings, workers=2, ray="auto")
        again = ingest(catalog, root / "ray", settings=settings, workers=2, ray="auto")
    finally:
        ray.shutdown()
    return catalog, local, remote, again, root / "local", root / "ray"


def test_ray_ingests_everything(both):
    _, local, remote, _, _, _ = both
    assert local.failed == [] and remote.failed == [], (local.failed, remote.failed)
    assert remote.ingested == local.ingested == N_ITEMS and remote.skipped == 0


def test_a_second_ray_run_skips_what_is_stored(both):
    again = both[3]
    assert again.ingested == 0 and again.skipped == N_ITEMS and again.failed == []


def test_stored_profiles_equal_the_local_runners(both):
    _, _, _, _, local_store, ray_store = both
    with Library.open(local_store) as a, Library.open(ray_store) as b:
        ids = sorted(p.id for p in a.profiles())
        assert ids == sorted(p.id for p in b.profiles()) and len(ids) == N_ITEMS
        spoken = 0
        for item_id in ids:
            pa, pb = a.profile(item_id).model_dump(), b.profile(item_id).model_dump()
            for key in ("attributes", "transcript", "ocr", "shots"):
                assert_same(pa[key], pb[key], f"{item_id}.{key}")
            assert_same(pa, pb, item_id)
            spoken += bool(pa["transcript"])
        assert spoken >= 1, "no narrated video in the subset: speech was not compared"


def test_stored_vectors_and_facets_equal_the_local_runners(both):
    _, _, _, _, local_store, ray_store = both
    with Store.open(local_store, readonly=True) as a, Store.open(ray_store, readonly=True) as b:
        assert len(a.vectors) == len(b.vectors) > N_ITEMS  # text, picture and shot vectors
        assert sorted(a.metadata.item_hashes().items()) == sorted(b.metadata.item_hashes().items())
        for row in a.metadata.items():
            other = b.metadata.get_item(row["id"])
            for key in ("category", "colors", "price", "brand", "gender", "title"):
                assert row[key] == other[key], (row["id"], key)
        for vector_id in a.vectors.ids():
            payload = a.vectors.payload(vector_id)
            assert_same(payload, b.vectors.payload(vector_id), vector_id)
            vec = a.vectors._index.reconstruct(int(a.vectors._labels[vector_id]))  # FAISS: the stored vector
            hit = b.vectors.search(vec, 1, Filter(ids={vector_id}))
            assert hit and hit[0][1] == pytest.approx(float(np.dot(vec, vec)), abs=1e-3), vector_id
