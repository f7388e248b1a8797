"""Integration: what vidrec infers from bare demo videos (no title, no price, no category; only the platform's
taxonomy), checked against the demo's own truth (examples/demo/catalog.csv, written by a person for each photo).

Nine videos, chosen by id (the first three of each kind): narrated and captioned in Chinese, in English, and silent
with no caption. The whole demo (36 videos) is scored by `bench/eval_bare_demo.py`; its numbers are in
BENCHMARKS.md ("Bare demo videos").
"""

import csv

import pytest

from vidrec.config import IngestSettings
from vidrec.ingest import ingest
from vidrec.library import Library
from vidrec.vocabulary import Taxonomy

pytestmark = pytest.mark.slow
PER_KIND = 3


@pytest.fixture(scope="module")
def bare(tmp_path_factory, demo_dir):
    truth = {r["id"]: r for r in csv.DictReader((demo_dir / "catalog.csv").open(encoding="utf-8"))}
    kinds = {r["id"]: (r["spoken_lang"] if r["narration"] else "silent")
             for r in csv.DictReader((demo_dir / "narration.csv").open(encoding="utf-8"))}
    chosen = []
    for kind in ("zh", "en", "silent"):
        chosen += sorted(i for i, k in kinds.items() if k == kind)[:PER_KIND]
    root = tmp_path_factory.mktemp("bare")
    catalog = root / "catalog.csv"
    with catalog.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "video"])
        for i in chosen:
            writer.writerow([i, str((demo_dir / truth[i]["video"]).resolve())])
    taxonomy_file = root / "categories.txt"
    taxonomy_file.write_text("\n".join(sorted({r["category"] for r in truth.values()})) + "\n", encoding="utf-8")
    summary = ingest(catalog, root / "store", workers=1, settings=IngestSettings(),
                     taxonomy=Taxonomy.from_file(taxonomy_file))
    assert summary.failed == [] and summary.row_errors == [] and summary.ingested == len(chosen)
    lib = Library.open(root / "store")
    profiles = {p.id: p for p in lib.profiles()}
    lib.close()
    return {i: (kinds[i], truth[i], profiles[i]) for i in chosen}


def _value(profile, key):
    attr = profile.attributes.get(key)
    return attr.value if attr is not None else None


def test_nothing_came_from_metadata(bare):
    for _, _, profile in bare.values():
        assert profile.title is None
        assert all(a.source != "metadata" for a in profile.attributes.values()), profile.id


def test_category_of_bare_videos(bare):
    right = {i for i, (_, t, p) in bare.items() if _value(p, "category") == t["category"]}
    spoken = {i for i, (k, _, _) in bare.items() if k != "silent"}
    assert spoken <= right, {i: (_value(bare[i][2], "category"), bare[i][1]["category"]) for i in spoken - right}
    assert len(right) >= len(bare) - 1, {i: _value(p, "category") for i, (_, _, p) in bare.items()}


def test_colour_of_bare_videos(bare):
    wrong = {i: (_value(p, "color"), t["color"]) for i, (_, t, p) in bare.items() if _value(p, "color") != t["color"]}
    assert len(wrong) <= 1, wrong


def test_price_is_read_exactly_where_it_is_shown_or_said(bare):
    for i, (kind, t, p) in bare.items():
        if kind == "silent":
            assert _value(p, "price") is None, (i, _value(p, "price"))  # nothing shows or says one: no guess
        else:
            assert _value(p, "price") == pytest.approx(float(t["price"])), (i, _value(p, "price"), t["price"])
