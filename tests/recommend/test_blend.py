"""How a page blends the request, the session and the user's long-term taste (issue 18 §2): the request decides,
the model's weight follows what it knows of the user, new items reach the user through their pictures, and what
the user already bought is not suggested again."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from vidrec.dialog.ranking import Blend, blended_scores
from vidrec.learn.personal import UserTaste, confidence, user_context
from vidrec.store.metadata import Interaction
from vidrec.understand.profile import Attribute, ItemProfile


def _profile(item_id: str, category: str) -> ItemProfile:
    return ItemProfile(id=item_id, video=f"{item_id}.mp4",
                       attributes={"category": Attribute(value=category, confidence=0.9, source="visual")})


def _unit(*xs: float) -> np.ndarray:
    v = np.array(xs, dtype=np.float64)
    return v / np.linalg.norm(v)


class FakeModel:
    """A trained model as the ranking sees it: one known user with a history of ``history`` items and fixed
    scores (items missing from ``scores`` are unknown to it, as items ingested after training are)."""

    def __init__(self, user: str, history: int, scores: dict[str, float]):
        self.user, self.n, self.table = user, history, scores

    def knows_user(self, user: str) -> bool:
        return user == self.user

    def history(self, user: str) -> list[str]:
        return [f"h{k}" for k in range(self.n)] if user == self.user else []

    def score(self, user: str, candidates: list[str]) -> np.ndarray:
        return np.array([self.table.get(c, np.nan) for c in candidates], dtype=np.float32)


class FakeLibrary:
    def __init__(self, events: list[tuple[str, str, str]], vectors: dict[str, np.ndarray]):
        self.events, self.vecs = events, vectors

    def interactions(self, user_id: str):
        return [Interaction(u, i, e, None, float(k), "s") for k, (u, i, e) in enumerate(self.events) if u == user_id]

    def vectors(self, ids, kind="text"):
        return [self.vecs.get(i) for i in ids]


# ------------------------------------------------------------------------------------------------ the weight


def test_the_models_weight_follows_what_it_knows_of_the_user():
    # two candidates the request ranks a, b; the model prefers b. A user seen in one short session (2 items) is
    # ranked by the request; one the model learned from 200 items gets their taste. On main the weight was the
    # same for both, whatever the model knew.
    ids, relevance = ["a", "b"], [0.55, 0.50]
    blend = Blend(user_model=0.1, user_half=10.0, user_content=0.0)

    def ranked(history: int) -> list[str]:
        taste = UserTaste("u", model_scores=lambda c: [0.0, 1.0], history_items=history)
        s = blended_scores(ids, relevance, {}, taste=taste, blend=blend)
        return [ids[k] for k in np.argsort(-s)]

    assert ranked(2) == ["a", "b"]
    assert ranked(200) == ["b", "a"]
    assert confidence(0) == 0.0 and confidence(10, half=10) == 0.5 and 0.95 < confidence(200, half=10) < 1.0


def test_a_request_with_conditions_keeps_its_order_a_vague_one_is_left_to_the_taste():
    # "a shirt" ranks a before b by a clear margin and the taste (b) may not overturn it; "recommend me
    # something" names nothing, so the same taste leads
    ids, relevance = ["a", "b"], [0.60, 0.50]
    taste = UserTaste("u", model_scores=lambda c: [0.0, 1.0], history_items=1000)
    blend = Blend(user_model=0.04, user_vague=0.5, user_half=10.0, user_content=0.0)
    precise = blended_scores(ids, relevance, {}, taste=taste, blend=blend)
    vague = blended_scores(ids, relevance, {}, taste=taste, vague=True, blend=blend)
    assert precise[0] > precise[1] and vague[1] > vague[0]


def test_a_user_the_model_does_not_know_leaves_the_ranking_to_the_request():
    lib = FakeLibrary([("stranger", "a", "view")], {})
    taste = user_context(FakeModel("someone-else", 50, {"a": 0.0, "b": 1.0}), lib, "stranger")
    assert taste is not None and not taste.personal and taste.owned == frozenset()
    s = blended_scores(["a", "b"], [0.5, 0.4], {}, taste=taste)
    np.testing.assert_allclose(s, [0.5, 0.4])


# ------------------------------------------------------------------------------------------------ new items


def test_new_items_reach_the_user_through_their_pictures():
    # the user carted a navy item; "new" arrived after training (the model cannot score it) and looks like it,
    # "other" is old and unlike anything they chose. On main a new item got the average taste (0) and stayed
    # below the old items the model liked.
    vecs = {"navy-old": _unit(1, 0, 0), "new": _unit(0.95, 0.3, 0), "other": _unit(0, 0, 1), "mid": _unit(0, 1, 0)}
    lib = FakeLibrary([("u", "navy-old", "cart"), ("u", "other", "view")], vecs)
    model = FakeModel("u", 40, {"navy-old": 1.0, "other": 0.2, "mid": 0.6})
    taste = user_context(model, lib, "u")
    assert taste is not None and taste.profile is not None
    ids = ["other", "mid", "new"]
    t = taste.scores(ids, lib.vectors(ids, "image"), content_share=0.5)
    assert t[2] == max(t) and t[2] > 0  # judged by its picture alone, it is the user's kind of item
    s = blended_scores(ids, [0.5, 0.5, 0.5], {}, taste=taste, vectors=lib.vectors(ids, "image"),
                       blend=Blend(user_model=0.2, user_content=0.5))
    assert int(np.argmax(s)) == 2


def test_views_alone_do_not_make_a_taste_profile():
    # what was shown and not chosen says nothing about what the user likes
    lib = FakeLibrary([("u", "a", "view"), ("u", "b", "view")], {"a": _unit(1, 0), "b": _unit(0, 1)})
    taste = user_context(FakeModel("u", 5, {"a": 1.0}), lib, "u")
    assert taste is not None and taste.profile is None and taste.model_scores is not None


# ------------------------------------------------------------------------------------------------ bought items


def test_a_cart_is_not_a_purchase():
    # a cart is often left (or a misread "not the first one"): the item stays a candidate like any other
    lib = FakeLibrary([("u", "a", "cart"), ("u", "b", "purchase")], {})
    taste = user_context(None, lib, "u")
    assert taste is not None and taste.owned == frozenset({"b"})


def test_an_item_already_bought_ranks_after_every_other_candidate():
    ids = ["bought", "x", "y"]
    profiles = {i: _profile(i, "Shirts") for i in ids}
    taste = UserTaste("u", owned=frozenset({"bought"}))
    s = blended_scores(ids, [0.9, 0.5, 0.4], profiles, taste=taste)
    assert [ids[k] for k in np.argsort(-s)] == ["x", "y", "bought"]
    # a store that sells consumables lists their categories: those are suggested again
    again = blended_scores(ids, [0.9, 0.5, 0.4], profiles, taste=taste,
                           blend=Blend(repeat_categories=frozenset({"Shirts"})))
    assert int(np.argmax(again)) == 0


def _copy(demo_store: Path, target: Path) -> Path:
    shutil.copytree(demo_store, target, ignore=shutil.ignore_patterns("write.lock", "models"))
    return target


@pytest.fixture()
def demo_copy(demo_store, tmp_path) -> Path:
    return _copy(demo_store, tmp_path / "store")


def test_the_chat_does_not_suggest_again_what_the_user_bought_in_an_earlier_session(demo_copy):
    from vidrec.dialog.engine import Engine
    from vidrec.library import Library

    with Library.open(demo_copy, readonly=False) as lib:
        engine = Engine(lib, thumbnail_url=None, page_size=2, ask_questions=False)
        first = [i.id for i in engine.respond("s1", "I want a hoodie", user_id="buyer").items]
        assert len(first) == 2
        lib.record("buyer", first[0], "purchase", session_id="s1")
        again = [i.id for i in engine.respond("s2", "I want a hoodie", user_id="buyer").items]
        assert first[0] not in again and len(again) == 2
        # another shopper is still shown it, and the buyer is when nothing else meets the request
        other = [i.id for i in engine.respond("s3", "I want a hoodie", user_id="someone").items]
        assert other == first
        wide = Engine(lib, thumbnail_url=None, page_size=10, ask_questions=False)
        all_hoodies = [i.id for i in wide.respond("s4", "I want a hoodie", user_id="buyer").items]
        assert first[0] in all_hoodies


def test_taste_reorders_the_matches_but_never_shows_a_non_match_before_them(demo_copy):
    from vidrec.dialog.engine import Engine
    from vidrec.library import Library

    with Library.open(demo_copy, readonly=False) as lib:
        plain = Engine(lib, thumbnail_url=None, page_size=10, ask_questions=False)
        turn = plain.respond("p", "I want a blue T-shirt", user_id="fan")
        matches = [i.id for i in turn.items if i.match]
        others = [i.id for i in turn.items if not i.match]
        assert len(matches) >= 2 and others
        # a model that loves the non-matches and the last match most of all
        table = {i: 10.0 for i in others} | {m: float(k) for k, m in enumerate(matches)}
        engine = Engine(lib, user_model=FakeModel("fan", 500, table), thumbnail_url=None, page_size=10,
                        ask_questions=False, blend=Blend(user_model=5.0, user_content=0.0))
        personal = engine.respond("q", "I want a blue T-shirt", user_id="fan").items
        flags = [i.match for i in personal]
        assert flags == sorted(flags, reverse=True)  # every match before any non-match
        assert personal[0].id == matches[-1]  # within the matches, the taste decides
