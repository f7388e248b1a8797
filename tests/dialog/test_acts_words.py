"""More ways of asking for another colour and of letting the colour or the budget go, read by `vidrec.dialog.acts`.

Every phrasing is a real one from the spent blind phrase banks (tools/data/phrasebank*.json 1-3, written by people who
never read the parser), checked below to be in them; the guards that name a colour are from the blind NLU sets
(bench/data/nlu_blind*.jsonl) and the first bank's want_colour.
"""

import pytest

from tools.simulator import PHRASEBANK, PhraseBank
from vidrec.dialog.acts import relaxed, wants_other_colour

BANKS = {1: PhraseBank.load(), 2: PhraseBank.load(PHRASEBANK.with_name("phrasebank2.json")),
         3: PhraseBank.load(PHRASEBANK.with_name("phrasebank3.json"))}

OTHER_COLOUR = [(3, "zh", "同款不同色"), (3, "zh", "换个色"), (3, "zh", "其他色系的呢"), (2, "zh", "颜色不太行 有别的吗"),
                (1, "zh", "有没有其他配色"), (3, "en", "in a different shade?"), (3, "en", "more colours?"),
                (1, "en", "change the colour"), (2, "en", "I don't like the colour"), (3, "en", "what colors does it come in")]
LET_COLOUR_GO = [(2, "zh", "什么色都OK"), (3, "zh", "颜色不用限定了"), (3, "zh", "不一定非要这个色"), (3, "zh", "换别的颜色也没事"),
                 (2, "en", "any shade works"), (3, "en", "show all colours"), (3, "en", "open on colour")]
LET_BUDGET_GO = [(3, "zh", "预算可以往上走"), (2, "zh", "刚才的预算作废"), (2, "zh", "价格你不用卡那么死"), (3, "zh", "预算上不封顶"),
                 (2, "en", "no price cap"), (3, "en", "go over budget if needed"), (2, "en", "cost is not a problem"),
                 (3, "en", "cost isn't an issue"), (3, "en", "I can go above that")]


def test_the_phrasings_are_in_the_spent_banks():
    for situation, cases in (("another_colour", OTHER_COLOUR), ("relax_colour", LET_COLOUR_GO),
                             ("relax_budget", LET_BUDGET_GO)):
        for bank, lang, text in cases:
            assert text in BANKS[bank].phrasings(situation, lang), (situation, text)
    assert "不要这个颜色 要{colour}" in BANKS[1].phrasings("want_colour", "zh")


@pytest.mark.parametrize("text", [t for *_, t in OTHER_COLOUR])
def test_another_colour(text):
    assert wants_other_colour(text) and relaxed(text) == []


@pytest.mark.parametrize("text", [t for *_, t in LET_COLOUR_GO])
def test_letting_the_colour_go(text):
    assert relaxed(text) == ["colour"]


@pytest.mark.parametrize("text", [t for *_, t in LET_BUDGET_GO])
def test_letting_the_budget_go(text):
    assert relaxed(text) == ["price"]


@pytest.mark.parametrize("text", ["黄色的就算了", "红色或者粉色都可以", "不要这个颜色 要红色"])
def test_a_colour_named_is_no_word_for_colour(text):
    # 色 inside 黄色 is the colour yellow, not the word "colour": ruling yellow out lets no colour go
    assert "colour" not in relaxed(text)
