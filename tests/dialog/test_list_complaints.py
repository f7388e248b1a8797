"""Complaints that the list is not what was asked for, without saying what instead ("that's not what I asked for",
"类别不对"): the next list brings items not shown yet, and when the kind of item was never said, vidrec asks it.

Every shopper message is a real phrasing from the spent blind phrase banks (tools/data/phrasebank.json,
phrasebank2.json, phrasebank3.json, written by people who never read the parser), checked below to be in them.
"""

import pytest

from tools.simulator import PHRASEBANK, PhraseBank
from vidrec.dialog.acts import complains_of_list

BANK1 = PhraseBank.load()
BANK2 = PhraseBank.load(PHRASEBANK.with_name("phrasebank2.json"))
BANK3 = PhraseBank.load(PHRASEBANK.with_name("phrasebank3.json"))

# complaints about the whole list that name no kind (bank 3's wrong_kind, banks 1-2's reject_all)
COMPLAINTS = [(BANK3, "wrong_kind", "zh", t) for t in ("这不是我要的", "类别不对", "你搞错品类了", "我说的不是这种啊",
                                                        "我要的不是这个", "不对 不是这类", "推荐错了", "我没要这个")] + \
    [(BANK3, "wrong_kind", "en", t) for t in ("wrong category", "you misunderstood me", "wrong item",
                                              "that's not what I searched for", "not what I was looking for",
                                              "these aren't what I asked for", "I didn't ask for these",
                                              "way off, wrong products")] + \
    [(BANK1, "reject_all", "zh", "都不是我想要的"), (BANK2, "reject_all", "en", "these are all wrong")]
# asking for more is no complaint, nor is naming what is wanted
NOT_COMPLAINTS = [(BANK3, "more", "en", "other ones?"), (BANK1, "more", "en", "show me other ones"),
                  (BANK2, "more", "en", "show different ones"), (BANK3, "more", "zh", "其他的呢"),
                  (BANK3, "another_colour", "zh", "同款不同色"), (BANK3, "cheaper", "en", "too expensive"),
                  (BANK3, "like_one", "en", "{n} looks good")]


def test_the_phrasings_used_here_are_in_the_spent_banks():
    for bank, situation, lang, text in [*COMPLAINTS, *NOT_COMPLAINTS]:
        assert text in bank.phrasings(situation, lang), (situation, text)


@pytest.mark.parametrize("text", [t for *_, t in COMPLAINTS])
def test_a_complaint_about_the_list_is_read_as_one(text):
    assert complains_of_list(text)


@pytest.mark.parametrize("text", [t.replace("{n}", "the second one") for *_, t in NOT_COMPLAINTS])
def test_more_and_other_acts_are_no_complaint(text):
    assert not complains_of_list(text)


@pytest.mark.slow
@pytest.mark.parametrize("text", [t for *_, t in COMPLAINTS])
def test_a_complaint_with_the_kind_known_pages_past_the_list(engine, text):
    sid = f"complaint-{text}"
    first = engine.respond(sid, "show me hoodies")
    seen = {i.id for i in first.items}
    assert first.state["constraints"]["category"] == "Hoodie" and len(seen) == 4
    t = engine.respond(sid, text)
    ids = {i.id for i in t.items}
    assert t.intent == "refine" and t.question is None, (t.intent, t.reply)
    assert len(ids) == 4 and not ids & seen, (text, ids & seen)
    assert t.state["constraints"]["category"] == "Hoodie"  # the request under way is kept, never reset
    assert t.state["cart"] == []


@pytest.mark.slow
@pytest.mark.parametrize("text", ["这不是我要的", "wrong category"])
def test_a_complaint_when_the_kind_was_never_said_asks_it_beside_new_items(engine, text):
    # "any is fine" to the first question about the kind does not make every kind right: after the complaint the
    # kind is asked again, with items not shown before
    sid = f"complaint-vague-{text}"
    first = engine.respond(sid, "show me something in black")
    assert first.state["constraints"].get("category") is None and first.question["slot"] == "category"
    any_kind = engine.respond(sid, "any is fine")
    assert any_kind.question is None and any_kind.items
    before = set(engine.load_state(sid).shown)
    t = engine.respond(sid, text)
    assert t.intent == "refine" and t.question["slot"] == "category", (t.intent, t.reply, t.question)
    assert len(t.items) == 4 and not {i.id for i in t.items} & before
    answer = engine.respond(sid, t.question["labels"][0])
    assert answer.state["constraints"]["category"] == t.question["options"][0]


@pytest.mark.slow
def test_a_complaint_while_the_kind_is_asked_is_no_answer(engine):
    # the NLU reads "这不是我要的" as a reject; it is no "any is fine" to the pending question either
    sid = "complaint-pending"
    first = engine.respond(sid, "有什么推荐的吗")
    assert first.question["slot"] == "category"
    t = engine.respond(sid, "这不是我要的")
    assert t.question["slot"] == "category" and not {i.id for i in t.items} & {i.id for i in first.items}


REJECT_ONE = [(BANK3, "reject_one", "en", "don't like {n}"), (BANK3, "reject_one", "zh", "{n}不喜欢")]


def test_the_reject_phrasings_used_here_are_in_the_spent_bank():
    for bank, situation, lang, text in REJECT_ONE:
        assert text in bank.phrasings(situation, lang), (situation, text)


@pytest.mark.slow
@pytest.mark.parametrize(("first", "text"), [("show me purple dresses", REJECT_ONE[0][3].format(n="the second one")),
                                             ("有没有紫色的连衣裙", REJECT_ONE[1][3].format(n="第二个"))])
def test_a_reject_of_one_item_after_an_offer_to_relax_is_no_no_to_the_offer(engine, first, text):
    # nothing is purple: vidrec offers to drop the colour; "don't like the second one" begins like a "no" to the offer
    # but is about item 2: it is taken off, and the offer's question is not what was answered
    sid = f"offer-{first}"
    t = engine.respond(sid, first)
    second = t.items[1].id
    assert t.items and not any(i.match for i in t.items) and engine.load_state(sid).pending_act["act"] == "relax"
    r = engine.respond(sid, text)
    assert r.intent == "reject" and r.state["rejected"] == [second] and second not in {i.id for i in r.items}
    assert r.state["constraints"]["color"] == t.state["constraints"]["color"]
