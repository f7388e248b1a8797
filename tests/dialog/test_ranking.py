"""Ranking a page: season fit, the blend of signals, diversity."""

import numpy as np

from vidrec.dialog.ranking import Blend, blended_scores, diverse_page, season_fit
from vidrec.understand.profile import Attribute, ItemProfile


def _profile(item_id, category, season=None):
    attrs = {"category": Attribute(value=category, confidence=0.9, source="visual")}
    if season:
        attrs["season"] = Attribute(value=season, confidence=0.8, source="speech")
    return ItemProfile(id=item_id, video=f"{item_id}.mp4", attributes=attrs)


def test_season_fit_prefers_the_items_own_evidence():
    assert season_fit(_profile("a", "Jackets"), "Summer") == -1.0  # a down jacket is not summer wear
    assert season_fit(_profile("a", "Jackets"), "Winter") > 0
    assert season_fit(_profile("b", "Jackets", season="Summer"), "Summer") == 1.0  # "夏季薄款" said in the video
    assert season_fit(_profile("c", "Tshirts"), "Summer") == 0.0  # no seasonal prior: unknown
    assert season_fit(_profile("c", "Tshirts"), None) == 0.0
    assert season_fit(_profile("d", "Outwear"), "Summer") == -1.0  # a catalog's own label, matched by synonym


def test_summer_request_moves_winter_items_down():
    ids = ["jacket", "shorts", "tee"]
    profiles = {"jacket": _profile("jacket", "Jackets"), "shorts": _profile("shorts", "Shorts"),
                "tee": _profile("tee", "Tshirts")}
    relevance = [0.60, 0.55, 0.55]
    plain = blended_scores(ids, relevance, profiles)
    summer = blended_scores(ids, relevance, profiles, season="Summer")
    assert int(np.argmax(plain)) == 0
    assert int(np.argmax(summer)) == 1 and summer[0] < summer[2]


def test_user_model_and_popularity_blend_and_a_broken_model_is_ignored():
    ids = ["a", "b"]
    base = blended_scores(ids, [0.5, 0.5], {})
    personal = blended_scores(ids, [0.5, 0.5], {}, user_scores=lambda c: [0.0, 3.0])
    assert personal[1] > personal[0] and base[0] == base[1]

    def broken(_):
        raise KeyError("unknown user")

    assert np.allclose(blended_scores(ids, [0.5, 0.4], {}, user_scores=broken), [0.5, 0.4])
    popular = blended_scores(ids, [0.5, 0.5], {}, popularity={"b": 1.0}, blend=Blend(popularity=0.1))
    assert abs(popular[1] - popular[0] - 0.1) < 1e-12


def test_diverse_page_skips_near_duplicates_and_keeps_order_otherwise():
    v = np.eye(4, dtype=np.float32)
    dup = v[0].copy()
    vectors = [v[0], dup, v[1], v[2], None]
    scores = np.array([0.9, 0.89, 0.5, 0.4, 0.3])
    page = diverse_page(scores, vectors, 4)
    assert page[0] == 0 and 1 not in page  # the same video twice is never shown
    assert page == [0, 2, 3, 4]
    assert diverse_page(scores, vectors, 2) == [0, 2]
