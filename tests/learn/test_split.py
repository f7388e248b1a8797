import numpy as np
import pytest

from vidrec.errors import InputError
from vidrec.learn.interactions import InteractionsBuilder
from vidrec.learn.split import leave_last_out


def build(rows):
    b = InteractionsBuilder()
    b.add([r[0] for r in rows], [r[1] for r in rows], np.array([r[2] for r in rows], dtype=float))
    return b.build()


def test_last_is_test_second_to_last_is_valid():
    inter = build([("u", "a", 1), ("u", "c", 3), ("u", "b", 2), ("u", "d", 4), ("v", "x", 1), ("v", "y", 2)])
    s = leave_last_out(inter)
    ids = inter.items.ids
    assert [inter.users.ids[u] for u in s.test.users] == ["u"]
    assert ids[s.test.items[0]] == "d" and ids[s.valid.items[0]] == "c"
    seqs = s.train.sequences()
    assert [ids[i] for i in seqs[inter.users.index["u"]]] == ["a", "b"]
    # the short user keeps everything in training and is counted, not evaluated
    assert [ids[i] for i in seqs[inter.users.index["v"]]] == ["x", "y"]
    assert s.info["users_too_short"] == 1
    assert [list(map(ids.__getitem__, h)) for h in s.histories("valid")] == [["a", "b"]]
    assert [list(map(ids.__getitem__, h)) for h in s.histories("test")] == [["a", "b", "c"]]


def test_held_out_items_are_not_in_the_users_training_history():
    rng = np.random.default_rng(0)
    rows = [(f"u{rng.integers(10)}", f"i{rng.integers(15)}", float(rng.integers(100))) for _ in range(300)]
    inter = build(rows)
    s = leave_last_out(inter)
    seqs = s.train.sequences()
    for u, v, t in zip(s.valid.users, s.valid.items, s.test.items, strict=True):
        assert v not in seqs[u] and t not in seqs[u] and v != t
    assert len(s.train) + 2 * len(s.test) == len(inter)


def test_nobody_long_enough():
    with pytest.raises(InputError, match="3 or more interactions"):
        leave_last_out(build([("u", "a", 1), ("u", "b", 2)]))
