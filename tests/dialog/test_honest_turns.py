"""Turns that tell the truth and acts said twice, over the demo catalog (real models) and over stored profiles.

The shopper messages are real phrasings from the two spent blind phrase banks (tools/data/phrasebank.json and
phrasebank2.json, written by people who never read the parser), checked below to be in them: none is in vidrec's
own words.
"""

import pytest

from tools.simulator import PHRASEBANK, PhraseBank
from vidrec.dialog.engine import Engine
from vidrec.library import Library

BANK1 = PhraseBank.load()
BANK2 = PhraseBank.load(PHRASEBANK.with_name("phrasebank2.json"))

# (bank, situation, lang, phrasing) with {n} as the bank writes it
SAID = [
    (BANK2, "reject_one", "zh", "{n}我是真的不想要"),
    (BANK1, "reject_one", "zh", "不要{n}"),
]


def test_the_phrasings_used_here_are_in_the_spent_banks():
    for bank, situation, lang, text in SAID:
        assert text in bank.phrasings(situation, lang), (situation, text)


@pytest.fixture(scope="module")
def engine(demo_store):
    lib = Library.open(demo_store, readonly=False, memory_sessions=True)
    yield Engine(lib)
    lib.close()


@pytest.mark.slow
def test_an_unsure_reject_said_again_is_a_yes(engine):
    # "第三个我是真的不想要" is read as a reject with little confidence, so vidrec asks first; the shopper says it again
    # in other words that begin with a "no" word ("不要第三个"): that is a yes to removing it, not a "no, keep it"
    t = engine.respond("again", "show me some dresses")
    third = t.items[2].id
    q = engine.respond("again", SAID[0][3].format(n="第三个"))
    assert q.intent == "confirm" and q.question["slot"] == "confirm" and q.state["rejected"] == []
    done = engine.respond("again", SAID[1][3].format(n="第三个"))
    assert done.intent == "reject" and done.state["rejected"] == [third]
    assert third not in [i.id for i in done.items]


@pytest.mark.slow
def test_a_bare_no_to_the_question_still_keeps_the_item(engine):
    t = engine.respond("keep", "show me some dresses")
    engine.respond("keep", SAID[0][3].format(n="第三个"))
    kept = engine.respond("keep", "不是")
    assert kept.state["rejected"] == [] and kept.state["shown"] == [i.id for i in t.items]
