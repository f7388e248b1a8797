"""A question may come beside a page of items not shown yet ("more", a complaint about the list), not only beside a
new request's first list: at 1k items the kind asked for still has dozens of candidates after its first page. Never
a slot asked before in the request, never two turns in a row."""

import pytest

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(("sid", "opening", "any_", "more"), [
    ("pq-en", "what do you recommend?", "any is fine", "show me more"),
    ("pq-zh", "有什么推荐的吗", "随便", "还有别的吗")])
def test_a_page_after_more_can_carry_a_question_not_asked_yet(engine, sid, opening, any_, more):
    first = engine.respond(sid, opening)
    assert first.question is not None and first.items, first.reply
    asked = first.question["slot"]
    second = engine.respond(sid, any_)  # no preference: items, and no second question in a row
    assert second.question is None and second.items, second.reply
    third = engine.respond(sid, more)
    assert third.intent == "more" and third.items, third.reply
    assert not {i.id for i in third.items} & {i.id for i in second.items}  # a page of items not shown yet
    assert third.question is not None and third.question["slot"] != asked, third.reply
    fourth = engine.respond(sid, more)
    assert fourth.question is None, fourth.reply  # never two turns in a row
