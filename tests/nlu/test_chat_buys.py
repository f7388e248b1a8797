"""Issue 18: every "add to cart" phrasing the parser reads as a buy ends as a cart event in the chat.

The phrasings are the spent simulator phrase banks' buy_one situations (tools/data/phrasebank.json and
phrasebank2.json, written blind), with {n} filled as tools/simulator.py fills it. Before 2026-12-05 (NAME=parser)
about one in six of them never reached the cart (read as like / reject / a question, or asked back).
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from vidrec.dialog.engine import Engine
from vidrec.library import Library

pytestmark = pytest.mark.slow

BANKS = [Path(__file__).resolve().parents[2] / "tools" / "data" / name for name in ("phrasebank.json",
                                                                                   "phrasebank2.json")]
REF = {"zh": "第二个", "en": "the second one"}
OPENING = {"zh": "给我看看鞋子", "en": "show me some shoes"}


def _phrasings() -> list[tuple[str, str]]:
    out = []
    for bank in BANKS:
        situations = json.loads(bank.read_text(encoding="utf-8"))["situations"]
        for lang in ("zh", "en"):
            out += [(lang, text.replace("{n}", REF[lang])) for text in situations["buy_one"][lang]]
    return out


@pytest.fixture(scope="module")
def engine(demo_store):
    lib = Library.open(demo_store, readonly=False)
    yield Engine(lib)
    lib.close()


def test_every_bank_buy_phrasing_reaches_the_cart(engine):
    missed = []
    for lang, text in _phrasings():
        sid = uuid.uuid4().hex
        first = engine.respond(sid, OPENING[lang])
        assert len(first.items) >= 2, first.reply
        turn = engine.respond(sid, text)
        if first.items[1].id not in turn.state["cart"]:
            missed.append((text, turn.intent))
    assert missed == []
