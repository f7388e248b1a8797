"""Others like a card in view: "same brand as the second one", "和第一个一样的颜色", "a similar price as the pink one"
narrow the request with the card's own values; a search naming only the kind under way asks for it afresh. The
demo's shorts list is Kestrow black ¥149, Pebblepine blue ¥129, Northfold pink ¥69."""

from __future__ import annotations

import pytest

from vidrec.dialog.engine import Engine
from vidrec.nlu.likeness import NEAR_PRICE

SHORTS = {"d024": ("Kestrow", "Black", 149.0), "d022": ("Pebblepine", "Blue", 129.0),
          "d023": ("Northfold", "Pink", 69.0)}


@pytest.fixture()
def shorts(engine: Engine):
    turn = engine.respond(None, "show me some shorts")
    assert sorted(i.id for i in turn.items) == sorted(SHORTS)
    return turn.session_id


def test_same_brand_as_the_second_one(engine, shorts):
    second = engine.load_state(shorts).last_shown[1]
    turn = engine.respond(shorts, "anything from the same brand as the second one?")
    state = engine.load_state(shorts)
    assert turn.intent == "refine"
    assert state.request.get("brand") == [SHORTS[second][0]]
    assert state.request.get("category") is not None  # still shorts
    assert [i.id for i in turn.items if i.match] == [second]


def test_the_colour_of_the_first_one_in_chinese(engine, shorts):
    first = engine.load_state(shorts).last_shown[0]
    engine.respond(shorts, "和第一个一样的颜色")
    assert engine.load_state(shorts).request.get("colour") == [SHORTS[first][1]]


def test_a_similar_price_as_a_described_card(engine, shorts):
    engine.respond(shorts, "do you have something with a similar price as the pink one?")
    lo, hi = engine.load_state(shorts).request.range("price")
    assert (lo, hi) == (pytest.approx(69 * NEAR_PRICE[0]), pytest.approx(69 * NEAR_PRICE[1]))


def test_a_likeness_that_picks_no_card_copies_nothing(engine, shorts):
    engine.respond(shorts, "same brand as the red one")  # no red card
    assert engine.load_state(shorts).request.get("brand") is None


def test_the_kind_alone_again_starts_the_kind_afresh(engine, shorts):
    engine.respond(shorts, "in blue please")
    assert engine.load_state(shorts).request.get("colour") == ["Blue"]
    engine.respond(shorts, "can you show me shorts?")
    request = engine.load_state(shorts).request
    assert request.get("colour") is None
    assert request.get("category") is not None


def test_the_kind_with_more_words_still_adds_to_the_request(engine, shorts):
    engine.respond(shorts, "in blue please")
    engine.respond(shorts, "shorts under 200")
    request = engine.load_state(shorts).request
    assert request.get("colour") == ["Blue"]
    assert request.range("price")[1] == 200


def test_a_look_alike_request_starts_again_from_the_kind(engine):
    turn = engine.respond(None, "show me some shorts in size M")
    sid = turn.session_id
    assert engine.load_state(sid).request.get("size") == "M"
    second = engine.load_state(sid).last_shown[1]
    engine.respond(sid, "anything from the same brand as the second one?")
    request = engine.load_state(sid).request
    assert request.get("size") is None  # what the request had besides its kind is not carried into a likeness
    assert request.get("brand") == [SHORTS[second][0]]
    assert request.get("category") is not None
