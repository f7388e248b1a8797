"""The real MovieLens 100K files from shared data (skipped when they are not there)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vidrec.learn.evaluate import Evaluator
from vidrec.learn.interactions import load_interactions
from vidrec.learn.items import ItemTexts
from vidrec.learn.models import make_model
from vidrec.learn.split import leave_last_out

ML100K = Path(__file__).resolve().parents[3] / "shared" / "data" / "interactions" / "ml-100k"
if not ML100K.exists():
    ML100K = Path("/work/shared/data/interactions/ml-100k")

pytestmark = pytest.mark.skipif(not ML100K.exists(), reason="shared ml-100k data not available")


def test_loads_directly():
    inter = load_interactions(ML100K)
    assert (len(inter), inter.n_users, inter.n_items) == (100_000, 943, 1682)
    items = ItemTexts.from_file(ML100K / "ml-100k.item")
    assert items.get("1") == "Toy Story (1995). genres: Animation, Children's, Comedy"
    split = leave_last_out(inter)
    assert split.info["test"] == 943 and split.info["train"] == 100_000 - 2 * 943


@pytest.mark.slow
def test_models_beat_popularity_on_a_subset():
    inter = load_interactions(ML100K)
    keep = inter.user < 300
    split = leave_last_out(inter.select(keep))
    ev = Evaluator(split, n_boot=100)
    pop = ev.evaluate(make_model("pop").fit(split.train))
    als = ev.evaluate(make_model("als").fit(split.train))
    assert als.metrics["ndcg@10"] > pop.metrics["ndcg@10"]
    a = ev.evaluate(make_model("als").fit(split.train))
    assert a.metrics == als.metrics  # reproducible to the digit


@pytest.mark.slow
def test_content_model_trains_with_the_real_text_encoder(monkeypatch):
    # the shared feature cache: embedding 1,682 titles with e5 takes minutes once, then it is read back
    monkeypatch.delenv("VIDREC_CACHE", raising=False)
    inter = load_interactions(ML100K)
    items = ItemTexts.from_file(ML100K / "ml-100k.item")
    split = leave_last_out(inter.select(inter.user < 200))
    m = make_model("ours", max_epochs=3, patience=3)
    m.fit(split.train, items, valid=split.valid)
    rep = Evaluator(split, n_boot=50).evaluate(m)
    assert rep.metrics["ndcg@10"] > 0
    content = m.content_part()
    assert content.shape == (1682, 384)
    np.testing.assert_allclose(np.linalg.norm(content, axis=1), 1.0, rtol=1e-4)
