""""Not this" on an item that is not on the session's last list (issue 17 follow-up).

The page keeps the cards of earlier lists above the last one. "Not this" on one of them used to rule the item out
with no replacement and no word (the card just vanished); an item the session never showed (a page out of step with
its session) was treated the same. Now the first brings a replacement for that card's place, new to the session,
and leaves the last list as it was; the second is refused (ConflictError) and changes nothing.
"""

from __future__ import annotations

import pytest

from vidrec.dialog.engine import Engine
from vidrec.errors import ConflictError
from vidrec.library import Library


@pytest.fixture(scope="module")
def library(demo_store):
    lib = Library.open(demo_store, readonly=False, memory_sessions=True)
    yield lib
    lib.close()


def _list(engine, sid, *texts):
    for text in texts:
        turn = engine.respond(sid, text)
        if turn.items:
            return turn
    raise AssertionError(f"no list after {texts}")


def test_not_this_on_a_card_of_an_earlier_list_brings_a_replacement(library):
    engine = Engine(library, ask_questions=False)
    first = _list(engine, None, "show me some t-shirts")
    sid = first.session_id
    first_ids = [i.id for i in first.items]
    later_ids = [i.id for i in _list(engine, sid, "more").items]
    assert later_ids and not set(later_ids) & set(first_ids)

    result = engine.feedback(sid, first_ids[1], "reject")
    assert result.replacement is not None
    assert result.replacement.id not in {*first_ids, *later_ids}  # new to the page, not a card already on it
    assert result.shown == later_ids  # "the second one" still points into the last list
    assert first_ids[1] in result.state["rejected"]
    state = engine.load_state(sid)
    assert result.replacement.id in state.seen and result.replacement.id in state.shown

    # the card put in its place can be rejected in turn, and is replaced by yet another
    again = engine.feedback(sid, result.replacement.id, "reject")
    assert again.replacement is not None
    assert again.replacement.id not in {*first_ids, *later_ids, result.replacement.id}


def test_not_this_on_an_item_the_session_never_showed_changes_nothing(library):
    engine = Engine(library, ask_questions=False)
    turn = _list(engine, None, "show me some t-shirts")
    shown = [i.id for i in turn.items]
    never = next(p.id for p in library.profiles() if p.id not in shown)
    before = engine.load_state(turn.session_id).model_dump()
    with pytest.raises(ConflictError, match="never shown"):
        engine.feedback(turn.session_id, never, "reject")
    assert engine.load_state(turn.session_id).model_dump() == before


def test_a_session_saved_before_seen_was_kept_still_knows_its_cards(library):
    # a stored session from before this change has no `seen`: its history's items stand in for it
    engine = Engine(library, ask_questions=False)
    first = _list(engine, None, "show me some t-shirts")
    sid = first.session_id
    _list(engine, sid, "more")
    state = engine.load_state(sid)
    state.seen = []
    state.shown = []
    engine._save_state(state, None)
    result = engine.feedback(sid, first.items[0].id, "reject")
    assert result.replacement is not None and result.replacement.id not in {i.id for i in first.items}
