import numpy as np
import pytest

from vidrec.learn.evaluate import Evaluator, ranks_of_targets
from vidrec.learn.interactions import InteractionsBuilder
from vidrec.learn.split import leave_last_out


def test_rank_excludes_history_and_breaks_ties_by_item_order():
    scores = np.array([[5.0, 4.0, 4.0, 1.0, 4.0]])
    # item 0 is in the history: removed; items 1, 2, 4 tie -> order 1, 2, 4
    assert ranks_of_targets(scores, [np.array([0])], np.array([2])).tolist() == [1]
    assert ranks_of_targets(scores, [np.array([0])], np.array([4])).tolist() == [2]
    assert ranks_of_targets(scores, [np.array([], dtype=int)], np.array([3])).tolist() == [4]
    nan = np.array([[np.nan, 1.0]])
    assert ranks_of_targets(nan, [np.array([], dtype=int)], np.array([0])).tolist() == [1]


class Oracle:
    """Knows the held-out item of each phase: must get perfect scores."""

    name = "oracle"
    fit_seconds = 0.0

    def __init__(self, targets, n_items):
        self.targets, self.n_items = targets, n_items

    def score_histories(self, users, histories):
        s = np.zeros((len(users), self.n_items), np.float32)
        s[np.arange(len(users)), [self.targets[u] for u in users]] = 1.0
        return s


def toy_split():
    b = InteractionsBuilder()
    rows = [(f"u{u}", f"i{(u + k) % 9}", k) for u in range(8) for k in range(5)]
    rows += [("late", "i8", 1), ("late", "i7", 2), ("late", "rare", 3)]
    b.add([r[0] for r in rows], [r[1] for r in rows], np.array([r[2] for r in rows], float))
    return leave_last_out(b.build())


def test_oracle_is_perfect_and_json_has_every_field():
    split = toy_split()
    ev = Evaluator(split, ks=(5, 10, 20), n_boot=50)
    oracle = Oracle(
        dict(zip(split.test.users.tolist(), split.test.items.tolist(), strict=True)), split.train.n_items
    )
    rep = ev.evaluate(oracle)
    assert rep.metrics["ndcg@10"] == 1.0 and rep.metrics["hr@5"] == 1.0
    assert rep.metrics["precision@5"] == pytest.approx(0.2)
    assert rep.metrics["f1@10"] == pytest.approx(2 * 0.1 / 1.1)
    out = ev.to_json([rep])
    m = out["models"]["oracle"]
    for k in (5, 10, 20):
        for name in ("ndcg", "recall", "hr", "precision", "f1"):
            assert f"{name}@{k}" in m and f"{name}@{k}" in m["ci95"]
    assert out["split"]["test"] == 9
    # "rare" has no training interaction: the late user's test item is cold
    assert m["cold_start"]["users"] >= 1 and m["cold_start"]["ndcg@10"] == 1.0
    assert "train_seconds" in m


def test_constant_scores_give_the_tie_rank():
    split = toy_split()
    ev = Evaluator(split, ks=(5,), n_boot=10)

    class Flat:
        name = "flat"

        def score_histories(self, users, histories):
            return np.zeros((len(users), split.train.n_items), np.float32)

    ranks = ev.ranks(Flat())
    hist = split.histories("test")
    for r, h, t in zip(ranks, hist, split.test.items, strict=True):
        assert r == sum(1 for i in range(t) if i not in set(h.tolist()))
