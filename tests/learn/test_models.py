"""Every model through the same contract, on the tiny synthetic catalog."""

from __future__ import annotations

import numpy as np

from vidrec.learn.models import make_model

from .conftest import CATEGORIES, HashingEncoder
from .recommender_contract import RecommenderContract

SEQ = dict(
    dim=16, max_len=8, layers=1, heads=1, max_epochs=8, patience=8, batch_size=16, lr=0.01, dropout=0.1
)


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


def _tiny(rows):
    from vidrec.learn.interactions import InteractionsBuilder

    b = InteractionsBuilder()
    b.add([r[0] for r in rows], [r[1] for r in rows], np.array([r[2] for r in rows], dtype=float))
    return b.build()


def test_short_histories_and_empty_history():
    """Users with one or two interactions: no validation users; the sequential model trains all its epochs."""
    inter = _tiny([("a", "x", 1), ("a", "y", 2), ("b", "y", 1), ("b", "z", 2), ("c", "x", 5)])
    m = make_model("sasrec-ce", **{**SEQ, "max_epochs": 2}).fit(inter)
    assert m.fit_info["epochs"] == 2
    assert m.knows_user("c")
    assert [i for i, _ in m.recommend("c", k=5)] and "x" not in [i for i, _ in m.recommend("c", k=5)]
    # an explicitly empty history carries no information: the popular items come back
    pop = make_model("pop").fit(inter)
    assert m.recommend("a", k=3, history=[], exclude_seen=False) == pop.recommend(
        "a", k=3, history=[], exclude_seen=False
    )


def test_sequential_model_needs_some_sequence():
    import pytest

    from vidrec.errors import InputError

    inter = _tiny([("a", "x", 1), ("b", "y", 1)])
    with pytest.raises(InputError, match="two or more interactions"):
        make_model("sasrec", **SEQ).fit(inter)
    assert make_model("pop").fit(inter).recommend("a", k=1) == [("y", 1.0)]


def test_item_table_gate_and_mean_prior():
    import torch

    from vidrec.learn.models.sequence_net import ItemTable

    counts = torch.tensor([0.0, 10.0, 30.0])
    content = torch.eye(3, 4)
    t = ItemTable(3, 4, counts, content=content, use_id=True, gate_init=10.0, id_prior="mean").eval()
    g = t.id_gate().detach()
    assert g[0] == 0 and 0 < g[1] < g[2] < 1
    table = t().detach()
    content_part = t.proj(t.content).detach()
    mean_id = t.ids.weight[1:].mean(dim=0).detach()
    # a new item: its content + the average ID
    torch.testing.assert_close(table[0], content_part[0] + mean_id)
    zero = ItemTable(3, 4, counts, content=content, use_id=True).eval()
    torch.testing.assert_close(zero()[0].detach(), zero.proj(zero.content)[0].detach())  # content alone
