""""Not this" on a card when every match of the request is already on screen: a close match takes its place."""

import pytest

from vidrec.dialog.engine import Engine
from vidrec.library import Library


@pytest.fixture(scope="module")
def library(demo_store):
    lib = Library.open(demo_store, readonly=False)
    yield lib
    lib.close()


def _category(library, item_id):
    return library.profile(item_id).attributes["category"].value


@pytest.mark.parametrize("text, lang, said", [("推荐几件衬衫", "zh", "品类"), ("show me some shirts", "en", "type")])
def test_a_rejected_card_is_replaced_by_a_close_match_once_the_matches_run_out(library, text, lang, said):
    shirts = [p.id for p in library.profiles() if p.attributes["category"].value == "Shirt"]
    # a page as large as the demo's shirts: after the first reply every shirt is on screen
    engine = Engine(library, page_size=len(shirts), ask_questions=False)
    turn = engine.respond(None, text)
    shown = [i.id for i in turn.items]
    assert sorted(shown) == sorted(shirts)

    result = engine.feedback(turn.session_id, shown[0], "reject")
    assert result.replacement is not None
    assert result.replacement.id not in shown and _category(library, result.replacement.id) != "Shirt"
    assert result.shown == [result.replacement.id, *shown[1:]]  # in the rejected card's place
    assert result.lang == lang and said in result.reply  # the reply says the new card is not a shirt

    # the next "not this" replaces again, never with an item shown or rejected before
    second = engine.feedback(turn.session_id, result.shown[0], "reject")
    assert second.replacement is not None
    assert second.replacement.id not in {*shown, result.replacement.id}


def test_a_match_left_unshown_is_preferred_to_a_close_match(library):
    shirts = [p.id for p in library.profiles() if p.attributes["category"].value == "Shirt"]
    engine = Engine(library, page_size=len(shirts) - 1, ask_questions=False)
    turn = engine.respond(None, "show me some shirts")
    shown = [i.id for i in turn.items]
    result = engine.feedback(turn.session_id, shown[0], "reject")
    assert result.replacement is not None and result.replacement.id in set(shirts) - set(shown)
    assert "differs" not in result.reply
