"""Every model through the same contract, on the tiny synthetic catalog."""

from __future__ import annotations

import numpy as np

from vidrec.learn.models import make_model

from .conftest import CATEGORIES, HashingEncoder
from .recommender_contract import RecommenderContract

SEQ = dict(dim=16, max_len=8, layers=1, heads=1, max_epochs=8, patience=8, batch_size=16, lr=0.01, dropout=0.1)


class TestPopularity(RecommenderContract):
    personalised = False

    def make(self):
        return make_model("pop")


class TestItemKNN(RecommenderContract):
    def make(self):
        return make_model("itemknn", neighbours=20)


class TestALS(RecommenderContract):
    def make(self):
        return make_model("als", factors=8, iterations=8)


class TestBPR(RecommenderContract):
    def make(self):
        return make_model("bpr", factors=8, iterations=60, learning_rate=0.05)


class TestSASRec(RecommenderContract):
    def make(self):
        return make_model("sasrec", **SEQ)


class TestSASRecCE(RecommenderContract):
    def make(self):
        return make_model("sasrec-ce", **SEQ)


def make_ours(**extra):
    m = make_model("ours", content_hidden=0, **SEQ, **extra)
    m.encoder = HashingEncoder()
    return m


class TestOurs(RecommenderContract):
    def make(self):
        return make_ours()


class TestOursSampledSoftmax(RecommenderContract):
    def make(self):
        return make_ours(loss="sampled", negatives=8)


def test_ours_ranks_a_brand_new_item_by_its_content(interactions, catalog):
    """Items with no interaction at all ("<category>-new") are scored from their text alone."""
    m = make_ours().fit(interactions, catalog)
    assert interactions.item_counts()[interactions.items.index["dress-new"]] == 0
    new_items = [f"{c}-new" for c in CATEGORIES]
    right = 0
    for user in interactions.users.ids:
        own = CATEGORIES[int(user[1:]) % len(CATEGORIES)]
        s = m.score(user, new_items)
        right += new_items[int(np.argmax(s))] == f"{own}-new"
    assert right >= 0.8 * interactions.n_users
    gate = m.net.items.id_gate().detach().numpy()
    assert gate[interactions.items.index["dress-new"]] == 0.0
    assert gate[interactions.items.index["dress-1"]] > 0.0


def test_content_model_needs_item_texts(interactions):
    import pytest

    from vidrec.errors import InputError

    with pytest.raises(InputError, match="needs item texts"):
        make_ours().fit(interactions, None)


def test_unknown_model_name():
    import pytest

    from vidrec.errors import InputError

    with pytest.raises(InputError, match="choose from"):
        make_model("magic")
