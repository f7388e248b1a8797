"""The taste among the close matches of another kind (issue 18 §2): when the store filed the item a returning shopper
hunts for under another kind, "that's not a pair of jeans" brings items whose pictures look like jeans; what the
shopper chose before says which of those are theirs."""

from __future__ import annotations

from tests.learn.test_taste_attributes import Model, Store, _item
from vidrec.dialog.ranking import Blend, taste_look_alikes
from vidrec.learn.personal import user_context


def _look_alikes():
    # filed under other kinds, each looking a little less like jeans than the one before
    return [_item("red", "Trousers", "Red", 300), _item("black", "Trousers", "Black", 320),
            _item("navy", "Shirts", "Navy Blue", 310), _item("grey", "Trousers", "Grey", 290)]


def _user(events):
    items = _look_alikes() + [_item("s-navy", "Shirts", "Navy Blue", 120), _item("s-red", "Shirts", "Red", 900)]
    store = Store(items, events)
    return store, user_context(Model("u", history=1000), store, "u")


def test_without_a_taste_the_look_decides():
    items = _look_alikes()
    ids = [p.id for p in items]
    profiles = {p.id: p for p in items}
    looks = [0.62, 0.60, 0.58, 0.55]
    assert taste_look_alikes(ids, looks, None, None, profiles, Blend(user_look_alike=1.0)) == [0, 1, 2, 3]
    store, fresh = Store(items, []), None
    fresh = user_context(Model("u"), store, "someone-else")
    assert taste_look_alikes(ids, looks, fresh, None, profiles, Blend(user_look_alike=1.0)) == [0, 1, 2, 3]


def test_the_users_colour_comes_first_among_look_alikes_and_weight_zero_keeps_the_look():
    items = _look_alikes()
    ids = [p.id for p in items]
    looks = [0.62, 0.60, 0.58, 0.55]
    store, taste = _user([("u", "s-navy", "cart")])
    profiles = {i: store.profile(i) for i in ids}
    assert taste is not None and taste.personal
    order = taste_look_alikes(ids, looks, taste, None, profiles, Blend(user_look_alike=1.0))
    assert ids[order[0]] == "navy"
    assert taste_look_alikes(ids, looks, taste, None, profiles, Blend(user_look_alike=0.0)) == [0, 1, 2, 3]
    # an item this session already showed gets no lift: the look alone places it
    again = taste_look_alikes(ids, looks, taste, None, profiles, Blend(user_look_alike=1.0), seen={"navy"})
    assert ids[again[0]] != "navy"


def test_the_kinds_chosen_before_do_not_pull_look_alikes_away_from_the_kind_asked_for():
    # the user bought shirts before (one navy, one red): among look-alikes of jeans, the shirt is not lifted for
    # being a shirt; with equal colours and prices the look decides
    items = [_item("t", "Trousers", "Red", 300), _item("s", "Shirts", "Red", 300)]
    ids = ["t", "s"]
    store = Store(items + [_item("s-red", "Shirts", "Red", 900), _item("s-red2", "Shirts", "Red", 100)],
                  [("u", "s-red", "cart"), ("u", "s-red2", "cart")])
    taste = user_context(Model("u", history=1000), store, "u")
    profiles = {i: store.profile(i) for i in ids}
    assert taste_look_alikes(ids, [0.60, 0.58], taste, None, profiles,
                             Blend(user_look_alike=1.0, attr_category=5.0)) == [0, 1]
