"""Turns that tell the truth and acts said twice, over the demo catalog (real models) and over stored profiles.

The shopper messages are real phrasings from the two spent blind phrase banks (tools/data/phrasebank.json and
phrasebank2.json, written by people who never read the parser), checked below to be in them: none is in vidrec's
own words.
"""

import pytest

from tools.simulator import PHRASEBANK, PhraseBank
from vidrec.dialog.acts import relaxed
from vidrec.dialog.fit import CLAIM_SURE, claimable, fit
from vidrec.request import Request
from vidrec.understand.profile import Attribute, ItemProfile

BANK1 = PhraseBank.load()
BANK2 = PhraseBank.load(PHRASEBANK.with_name("phrasebank2.json"))

# (bank, situation, lang, phrasing) with {n} as the bank writes it
SAID = [
    (BANK2, "reject_one", "zh", "{n}我是真的不想要"),
    (BANK1, "reject_one", "en", "not {n}"),
]


def test_the_phrasings_used_here_are_in_the_spent_banks():
    for bank, situation, lang, text in SAID:
        assert text in bank.phrasings(situation, lang), (situation, text)


@pytest.mark.slow
def test_an_unsure_reject_said_again_is_a_yes(engine):
    # "第三个我是真的不想要" is read as a reject with little confidence, so vidrec asks first; the shopper says it again:
    # that is a yes to removing it (read afresh it would only be asked about again, and again)
    t = engine.respond("again", "show me some dresses")
    third = t.items[2].id
    q = engine.respond("again", SAID[0][3].format(n="第三个"))
    assert q.intent == "confirm" and q.question["slot"] == "confirm" and q.state["rejected"] == []
    done = engine.respond("again", SAID[0][3].format(n="第三个"))
    assert done.intent == "reject" and done.state["rejected"] == [third]
    assert third not in [i.id for i in done.items]


@pytest.mark.slow
def test_a_no_that_names_the_item_is_still_a_no(engine):
    # "not the third one" in answer to "remove #3?" may mean "I did not mean the third one": it keeps the item
    t = engine.respond("not-it", "show me some dresses")
    engine.respond("not-it", SAID[0][3].format(n="第三个"))
    kept = engine.respond("not-it", "no, " + SAID[1][3].format(n="the third one"))
    assert kept.state["rejected"] == [] and kept.state["shown"] == [i.id for i in t.items]


@pytest.mark.slow
def test_a_bare_no_to_the_question_still_keeps_the_item(engine):
    t = engine.respond("keep", "show me some dresses")
    engine.respond("keep", SAID[0][3].format(n="第三个"))
    kept = engine.respond("keep", "不是")
    assert kept.state["rejected"] == [] and kept.state["shown"] == [i.id for i in t.items]


# ------------------------------------------------------------------------------------------------ no models

def _inferred(id_, category, probability, colour="Red"):
    attrs = {"category": Attribute(value=category, confidence=0.8, source="visual", probability=probability),
             "color": Attribute(value=colour, confidence=1.0, source="metadata"),
             "price": Attribute(value=99.0, confidence=1.0, source="metadata")}
    return ItemProfile(id=id_, video=f"{id_}.mp4", attributes=attrs)


RED_WATCH = Request.model_validate({"category": "Watches", "color": ["Red"]})


def test_a_headline_names_an_inferred_kind_only_when_every_match_surely_has_it():
    sure, guess = _inferred("a", "Watches", 0.97), _inferred("b", "Watches", 0.6)
    assert fit(guess, RED_WATCH).match  # still listed as a match: the best guess is a watch
    assert claimable(RED_WATCH, [fit(sure, RED_WATCH)]).to_json() == {"category": "Watches", "color": ["Red"]}
    # one guessed watch on the list: "red items", never "red watches"
    assert claimable(RED_WATCH, [fit(sure, RED_WATCH), fit(guess, RED_WATCH)]).to_json() == {"color": ["Red"]}
    assert CLAIM_SURE > 0.6


LET_GO = [("relax_colour", "en", "take off the colour filter", "colour"),
          ("relax_colour", "en", "at this point colour is irrelevant", "colour"),
          ("relax_colour", "zh", "颜色条件去掉", "colour"),
          ("relax_budget", "zh", "价格条件去掉吧", "price"),
          ("relax_budget", "en", "whatever it costs", "price")]


@pytest.mark.parametrize(("situation", "lang", "text", "slot"), LET_GO, ids=[t for _, _, t, _ in LET_GO])
def test_taking_a_condition_off_lets_it_go(situation, lang, text, slot):
    assert text in BANK2.phrasings(situation, lang)
    assert relaxed(text) == [slot]


@pytest.mark.parametrize("text", ["remove the third one", "take off number 2", "不要红色", "不要这个颜色",
                                  "remove it from the cart", "the price is ok"])
def test_taking_an_item_off_or_ruling_a_value_out_lets_nothing_go(text):
    assert relaxed(text) == []


# ------------------------------------------------------------------------------------------------ demo catalog

@pytest.mark.slow
def test_asking_where_the_kind_is_with_a_list_on_screen_is_a_complaint_that_pages(engine):
    text = "where is the {category}"
    assert text in BANK2.phrasings("wrong_kind", "en")
    first = engine.respond("where", "show me some dresses")
    again = engine.respond("where", text.format(category="dresses"))
    assert again.intent == "refine", again.reply
    assert again.items and not {i.id for i in again.items} & {i.id for i in first.items}
