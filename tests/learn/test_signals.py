"""What training reads from the store's logs besides likes and purchases: plays with their watch time, cards shown
and not chosen (a weak negative for ALS), and the dwell of a shown list (vidrec.learn.signals)."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from vidrec.learn.interactions import InteractionsBuilder
from vidrec.learn.models import model_class
from vidrec.learn.signals import (
    DWELL_CAP_S,
    SHORT_PLAY,
    SKIPPED_VALUE,
    WATCH_SHARE,
    list_dwell,
    qualified_plays,
)
from vidrec.learn.store_data import from_store_object
from vidrec.store.metadata import Impression, Interaction, MetadataStore


@pytest.fixture
def meta(tmp_path):
    db = MetadataStore(tmp_path / "vidrec.sqlite")
    for k, length in enumerate((40.0, 40.0, 40.0, None, 20.0)):
        db.upsert_item(f"v{k}", None, f"v{k}.mp4", {"id": f"v{k}", "video": f"v{k}.mp4", "duration": length,
                                                   "title": f"video {k}"}, {"title": f"video {k}"})
    yield db
    db.close()


def test_a_play_is_a_choice_only_when_it_covers_the_share_of_the_video(meta):
    durations = {"v0": 40.0, "v3": None}
    rows = [Interaction("u", "v0", "play", 40.0 * WATCH_SHARE, 1.0),  # exactly the share: kept
            Interaction("u", "v0", "play", 40.0 * WATCH_SHARE - 0.1, 2.0),  # just under: dropped
            Interaction("u", "v0", "play", None, 3.0),  # a platform play without watch time: as before
            Interaction("u", "v3", "play", 1.0, 4.0),  # length unknown: nothing to compare with
            Interaction("u", "v0", "like", 0.5, 5.0)]  # a value on another event is not watch time
    dropped: Counter = Counter()
    kept = list(qualified_plays(rows, durations, dropped))
    assert [r.ts for r in kept] == [1.0, 3.0, 4.0, 5.0]
    assert dropped == Counter({SHORT_PLAY: 1})


def test_training_from_the_store_reads_plays_impressions_and_dwell(meta):
    # session s1 shows v0 v1 v2; 8 s later the user plays v0 to the end and 30 s after that likes v1;
    # then a second list (v2 v4) stays 12 s until a short play of v4
    meta.log_shown("ann", "s1", 0, ["v0", "v1", "v2"], ts=100.0)
    meta.add_interaction("ann", "v0", "play", 40.0, ts=108.0, session_id="s1")
    meta.add_interaction("ann", "v1", "like", ts=138.0, session_id="s1")
    meta.log_shown("ann", "s1", 2, ["v2", "v4"], ts=200.0)
    meta.add_interaction("ann", "v4", "play", 2.0, ts=212.0, session_id="s1")
    meta.log_shown("bob", "s2", 0, ["v1", "v3"], ts=300.0)  # bob's only list: no next step, no dwell
    meta.add_interaction("bob", "v3", "buy", ts=5000.0)
    meta.add_interaction("bob", "v1", "reject", ts=5001.0)
    data, _ = from_store_object(meta)
    chosen = {(data.users.ids[u], data.items.ids[i]) for u, i in zip(data.user, data.item, strict=True)}
    assert chosen == {("ann", "v0"), ("ann", "v1"), ("bob", "v3")}  # the short play of v4 is no choice
    skipped = {(data.users.ids[u], data.items.ids[i]) for u, i in data.skipped}
    assert skipped == {("ann", "v2"), ("ann", "v4"), ("bob", "v1")}  # shown, never chosen; each pair once
    summary = data.summary()
    assert summary["dropped"][SHORT_PLAY] == 1 and summary["shown_and_skipped"] == 3
    assert summary["notes"] == {"shown cards logged": 7, "dwell": {"lists": 2, "median_s": 10.0, "p90_s": 11.6}}
    assert "1 play under 50% of the video" in data.describe() and "7 shown cards logged" in data.describe()


def test_dwell_is_the_time_to_the_sessions_next_step_capped():
    shown = [Impression("u", "s", 0, "a", 0, 10.0), Impression("u", "s", 0, "b", 1, 10.0),
             Impression("u", "s", 1, "c", 0, 10.0 + DWELL_CAP_S * 3),  # a tab left open for half an hour
             Impression("u", "t", 0, "a", 0, 50.0)]
    steps = [Interaction("u", "a", "like", None, 14.5, "s"),
             Interaction("u", "a", "like", None, 20.0, None),  # no session: not a step of "s"
             Interaction("u", "c", "like", None, 10.0 + DWELL_CAP_S * 5, "s")]
    assert sorted(list_dwell(shown, steps)) == [4.5, DWELL_CAP_S]


def _als_data(with_skips: bool):
    """40 users; u0 bought the dresses d0..d3; d4 is another dress that the others who buy dresses buy too,
    so ALS ranks it high for u0 — unless u0 was shown d4 and skipped it."""
    users, items, ts = [], [], []
    for u in range(40):
        picks = [f"d{k}" for k in range(5)] if u % 2 else [f"k{k}" for k in range(5)]
        if u == 0:
            picks = [f"d{k}" for k in range(4)]
        for k, it in enumerate(picks):
            users.append(f"u{u}")
            items.append(it)
            ts.append(float(u * 100 + k))
    b = InteractionsBuilder()
    b.add(users, items, np.array(ts))
    data = b.build()
    if with_skips:
        data.skipped = np.array([[data.users.index["u0"], data.items.index["d4"]]], dtype=np.int32)
    return data


def test_als_learns_a_skipped_card_as_a_weak_negative_and_bpr_ignores_it():
    scores = {}
    for with_skips in (False, True):
        als = model_class("als")(factors=2, iterations=10, seed=0)  # two tastes: d4 fits u0's unless skipped
        assert als.learns_negatives
        data = _als_data(with_skips)
        matrix = als._training_matrix(data)
        u0, d4 = data.users.index["u0"], data.items.index["d4"]
        assert matrix[u0, d4] == (SKIPPED_VALUE if with_skips else 0.0)
        assert (matrix.data > 0).sum() == len(data)  # the positives are untouched
        als.fit(data)
        scores[with_skips] = float(als._model.user_factors[u0] @ als._model.item_factors[d4])
    assert scores[False] > 0.5 and scores[True] < scores[False] - 0.005, scores  # weak: confidence 2 vs 1
    bpr = model_class("bpr")(factors=8, iterations=2, seed=0)
    assert not bpr.learns_negatives
    assert (bpr._training_matrix(_als_data(True)).data < 0).sum() == 0
