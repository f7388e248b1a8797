"""Others asked for by likeness to an item in view: what the message keeps of it, how it describes it, which
item it is among those in view, and what is copied from it (vidrec/nlu/likeness.py)."""

from __future__ import annotations

import pytest

from vidrec.nlu import parse
from vidrec.nlu.likeness import NEAR_PRICE, copied, pick
from vidrec.nlu.schema import Parse

SHOWN = {"shown": 3}


@pytest.mark.parametrize(("text", "keep", "refs"), [
    ("same brand as the second one", ["brand"], [2]),
    ("anything with a similar price as the second one?", ["price"], [2]),
    ("Is there a coat like the black one in size and price but with good reviews?", ["size", "price"], []),
    ("Do you have anything in that same size, but sleeveless?", ["size"], [0]),
    ("I'd like something like that in brand and size.", ["brand", "size"], [0]),
    ("和第一个一样的颜色", ["color"], [1]),
    ("跟第二个同一个牌子的", ["brand"], [2]),
    ("有没有和第二个差不多价位的", ["price"], [2]),
])
def test_what_is_kept_of_the_exemplar(text, keep, refs):
    p = parse(text, SHOWN)
    assert p.intent == "refine"
    assert p.exemplar is not None
    assert p.exemplar.keep == [*keep, "category"]  # the kind too, unless the message names another
    assert p.exemplar.item_refs == refs
    assert p.refs.positions() == []  # the exemplar's positions are its own, not items the request acts on


def test_a_described_exemplar_describes_and_is_not_asked_for():
    p = parse("Do you have anything like that grey coat but in size M?", SHOWN)
    assert p.intent == "refine"
    assert p.exemplar.described == {"color": ["Grey"], "category": "Jackets"}
    assert p.exemplar.keep == ["category"]
    assert p.request.get("colour") is None  # grey describes the coat meant
    assert p.request.get("size") == "M"
    assert p.request.get("category") == "Jackets"


def test_a_colour_kept_by_likeness_stays_asked_for():
    p = parse("Do you have anything from Nike with a similar color to the grey one?", SHOWN)
    assert p.exemplar.keep == ["color", "category"]
    assert p.request.get("colour") == ["Grey"]


@pytest.mark.parametrize("text", [
    "Is it the same brand as the first one?",  # a question about items in view
    "第二个和第一个一样的颜色吗",
    "more like the second one",  # a liking: the chat pivots to look-alikes of #2
    "something like a red dress",  # no item in view is the exemplar
    "show me red dresses",
])
def test_no_exemplar(text):
    assert parse(text, SHOWN).exemplar is None


def test_no_exemplar_with_nothing_shown():
    assert parse("same brand as the second one", {"shown": 0}).exemplar is None


def test_a_liking_by_position_stays_a_like():
    assert parse("more like the second one", SHOWN).intent == "like"
    assert parse("something like a red dress", SHOWN).request.get("colour") == ["Red"]


def test_the_exemplar_survives_the_json_round_trip():
    p = parse("same brand as the second one", SHOWN)
    again = Parse.model_validate(p.model_dump())
    assert again.exemplar == p.exemplar
    assert p.model_dump()["slots"]["exemplar"]["keep"] == ["brand", "category"]


ITEMS = [
    {"category": "Jackets", "color": ["Grey"], "brand": "North Lodge", "price": 100.0},
    {"category": "Jackets", "color": ["Black"], "brand": "Cats Are Great", "price": 110.0},
    {"category": "Trousers", "color": ["Brown"], "brand": "River Chateau", "price": 180.0},
]


def test_pick_by_position_then_by_description():
    assert pick(ITEMS, {}, [2]) == [1]
    assert pick(ITEMS, {"color": ["Grey"], "category": "Jackets"}) == [0]
    assert pick(ITEMS, {"color": ["Brown"]}) == [2]
    assert pick(ITEMS, {"category": "Jackets"}, plural=True) == [0, 1]
    assert pick(ITEMS, {"color": ["Red"]}) == []


def test_pick_these_that_and_unknowns():
    assert pick(ITEMS, {}, [], plural=True, listed=2) == [0, 1]  # "these": the last list
    assert pick(ITEMS, {}, [0], focus=2) == [2]  # "that": the item in focus
    assert pick(ITEMS, {}, [0]) == []  # no focus and several listed: nothing is guessed
    unknown = [{"category": "Jackets"}, {"category": "Jackets"}]
    assert pick(unknown, {"color": ["Grey"]}) == []  # either may be grey: neither is taken
    assert pick([{"category": "Jackets"}, {"color": ["Black"]}], {"color": ["Grey"]}) == [0]


def test_copied_values_are_the_ones_the_items_share():
    assert copied([ITEMS[2]], ["brand", "category"]).to_json() == {"category": "Trousers", "brand": ["River Chateau"]}
    assert copied(ITEMS[:2], ["brand", "category"]).to_json() == {"category": "Jackets"}
    assert copied([ITEMS[0]], ["color"]).to_json() == {"color": ["Grey"]}
    assert copied([{"brand": None}], ["brand"]).to_json() == {}


def test_a_similar_price_is_the_band_around_it():
    near = copied([ITEMS[2]], ["price"])
    assert near.range("price") == (pytest.approx(180 * NEAR_PRICE[0]), pytest.approx(180 * NEAR_PRICE[1]))
    assert copied(ITEMS[:2], ["price"]).range("price") == (pytest.approx(80.0), pytest.approx(132.0))
    assert copied([ITEMS[0], ITEMS[2]], ["price"]).range("price") == (None, None)  # 100 and 180: no one band


@pytest.mark.parametrize(("text", "only"), [
    ("can you show me jackets?", True),
    ("还有外套吗", True),
    ("jackets under 200", False),
    ("cheaper jackets", False),
    ("any jackets from Nike?", False),
])
def test_kind_only(text, only):
    assert parse(text).kind_only() is only
