"""A card picked by what it looks like or costs, not by its position: "I like the pink one", "add the cheaper one to
my cart", "黑色那条是什么材质的". The demo's shorts list is black ¥149, blue ¥129, pink ¥69; the description picks
the one card that surely meets it (or the cheapest / dearest of those), and beats the card in focus."""

from __future__ import annotations

import pytest

from vidrec.dialog.engine import Engine

SHORTS = {"Black": "d024", "Blue": "d022", "Pink": "d023"}


@pytest.fixture()
def shorts(engine: Engine):
    turn = engine.respond(None, "show me some shorts")
    assert sorted(i.id for i in turn.items) == sorted(SHORTS.values())
    return turn.session_id


def _second(engine, sid):
    return engine.load_state(sid).last_shown[1]


def test_a_colour_picks_the_card_to_like(engine, shorts):
    engine.respond(shorts, "I like the pink one")
    assert engine.load_state(shorts).liked == [SHORTS["Pink"]]


@pytest.mark.parametrize("text", ["add the cheaper one to my cart", "把最便宜的那个加入购物车"])
def test_a_price_word_picks_the_cheapest_card_to_buy(engine, shorts, text):
    engine.respond(shorts, text)
    assert engine.load_state(shorts).cart == [SHORTS["Pink"]]


def test_a_colour_with_that_beats_the_card_in_focus(engine, shorts):
    engine.respond(shorts, "第二个是什么材质的")
    second = _second(engine, shorts)
    assert engine.load_state(shorts).focus == second != SHORTS["Black"]
    engine.respond(shorts, "黑色那条是什么材质的")
    assert engine.load_state(shorts).focus == SHORTS["Black"]


def test_a_description_that_picks_no_single_card_changes_nothing(engine, shorts):
    engine.respond(shorts, "I like the red one")  # no red card: the old behaviour (nothing in focus: which one?)
    assert engine.load_state(shorts).liked == []
