"""An unsure category or colour is a soft preference in search and chat, never a hard filter: an item whose unsure
guess (or its runner-up) is what was asked for still competes, ranked by how well it matches; a sure value still
filters (the category; colours only rank in search)."""

from __future__ import annotations

import numpy as np
import pytest
from seeded_encoder import SeededEncoder

from vidrec.dialog.fit import MET, MISSED, UNKNOWN, fit
from vidrec.ingest.analysis import ItemAnalysis, facets_of
from vidrec.ingest.writer import StoreWriter
from vidrec.library import Library
from vidrec.recommend.search import Searcher
from vidrec.request import Request
from vidrec.understand.profile import ItemProfile
from vidrec.vocabulary import Taxonomy


def _attr(value, probability: float, runner_up: str | None = None) -> dict:
    return {"value": value, "confidence": probability, "source": "visual", "probability": probability,
            "unsure": probability < 0.5, "evidence": [{"modality": "visual", "text": f"looks like {value}"}],
            "conflicts": [{"value": runner_up, "source": "visual", "score": 0.3}] if runner_up else []}


# id -> (category, its probability, runner-up; colour, its probability, runner-up)
ITEMS = {
    "sure-red-heels": ("Heels", 0.9, None, "Red", 0.9, None),
    "unsure-heels-guessed-sports": ("Sports Shoes", 0.3, "Heels", "Red", 0.9, None),
    "sure-sports-shoes": ("Sports Shoes", 0.9, "Heels", "Red", 0.9, None),
    "heels-unsure-black-maybe-red": ("Heels", 0.9, None, "Black", 0.3, "Red"),
    "sure-black-heels": ("Heels", 0.9, None, "Black", 0.9, "Red"),
}


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    root = tmp_path_factory.mktemp("soft")
    (root / "categories.txt").write_text("Heels\nSports Shoes\n", encoding="utf-8")
    writer = StoreWriter.open(root / "store", taxonomy=Taxonomy.from_file(root / "categories.txt"))
    enc = SeededEncoder()
    try:
        for item_id, (cat, pc, rc, col, pk, rk) in ITEMS.items():
            profile = ItemProfile.model_validate({
                "id": item_id, "video": f"/v/{item_id}.mp4", "description": f"{col} {cat}",
                "attributes": {"category": _attr(cat, pc, rc), "color": _attr(col, pk, rk),
                               "colors": {**_attr([col], pk), "conflicts": []}}})
            text = f"{col} {cat}"
            vec = enc.encode([text])[0]
            writer.write(ItemAnalysis(
                item_id=item_id, content_hash=item_id, video_path=profile.video, profile=profile.model_dump(),
                facets=facets_of(profile), search_text=text, text_vector=vec, image_vector=None,
                shot_vectors=np.zeros((0, 384), np.float32), shot_starts=[], image_features=np.zeros((0, 8)),
                video_seconds=4.0))
        writer.flush()
    finally:
        writer.close()
    lib = Library.open(root / "store")
    yield lib
    lib.close()


def test_unsure_values_compete_and_sure_ones_filter(library):
    searcher = Searcher(library, text_encoder=SeededEncoder(), warm_up=False)
    result = searcher.search("red heels", k=10)
    assert result.parsed.get("categories") == ["Heels"] and result.parsed.get("colors") == ["Red"]
    ids = [h.id for h in result.results]
    # the category is a hard filter for sure values only; colours only rank in search
    assert set(ids) == {"sure-red-heels", "unsure-heels-guessed-sports", "heels-unsure-black-maybe-red",
                        "sure-black-heels"}
    assert ids[0] == "sure-red-heels"  # the sure match ranks first: the unsure ones are a soft preference
    assert ids.index("unsure-heels-guessed-sports") > 0


def test_without_unsure_items_the_filter_is_unchanged(library):
    searcher = Searcher(library, text_encoder=SeededEncoder(), warm_up=False)
    ids = {h.id for h in searcher.search("sports shoes", k=10).results}
    assert ids == {"unsure-heels-guessed-sports", "sure-sports-shoes"}  # filed under it; no runner-up asks


def test_chat_fit_calls_an_unsure_colour_unknown_not_missed(library):
    request = Request()
    request.set("colour", ["Red"])
    assert fit(library.profile("heels-unsure-black-maybe-red"), request).conditions["colour"] == UNKNOWN
    assert fit(library.profile("sure-black-heels"), request).conditions["colour"] == MISSED
    assert fit(library.profile("sure-red-heels"), request).conditions["colour"] == MET
    cat = Request()
    cat.set("category", "Heels")
    assert fit(library.profile("unsure-heels-guessed-sports"), cat).conditions["category"] == UNKNOWN
    assert fit(library.profile("sure-sports-shoes"), cat).conditions["category"] == MISSED
