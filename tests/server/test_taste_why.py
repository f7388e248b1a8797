"""The taste why-line (vidrec.dialog.explain_taste): an item the user's long-term model lifted into the list says
what it shares with what the user liked, in the shopper's language, and claims nothing when it shares nothing.
The Engine runs over the demo store with fast n-gram vectors; the "model" is a stand-in that prefers given items,
since what is tested is the why-line of whatever a model lifts, not a model's quality."""

from __future__ import annotations

import numpy as np
import pytest

from vidrec.dialog.engine import Engine
from vidrec.dialog.explain_taste import chosen_items, taste_reason
from vidrec.dialog.ranking import Blend
from vidrec.library import Library
from vidrec.store.metadata import Interaction

LIKED = ("d009", "d018")  # navy blue cotton pants (Kestrow) and a navy blue cotton shirt (Marlane)


class Prefers:
    """A user model that knows every user and scores the given items far above the rest."""

    def __init__(self, *favourites: str) -> None:
        self.favourites = set(favourites)

    def knows_user(self, user_id: str) -> bool:
        return True

    def history(self, user_id: str) -> list[str]:
        return list(LIKED)

    def score(self, user_id: str, ids: list[str], history=None) -> np.ndarray:
        return np.array([10.0 if i in self.favourites else 0.01 * (k % 3) for k, i in enumerate(ids)])


@pytest.fixture
def library(store_copy):
    lib = Library.open(store_copy, readonly=False)
    for item in LIKED:
        lib.record("fan", item, "like", session_id="earlier")
    lib.record("fan", "d035", "view")  # looked at is not liked
    yield lib
    lib.close()


def pages(library, encoder, favourites, text):
    """(the items shown to "fan" with the model, the ids shown to a user the model is not asked about)."""
    # the taste from the model's scores alone (the shipped blend takes it from the pictures and the profiles of
    # liked items, and brings candidates of their colours): what is tested is the why-line of whatever the taste
    # lifts
    personal = Engine(library, text_encoder=encoder, ask_questions=False, user_model=Prefers(*favourites),
                      blend=Blend(user_content=0.0, user_half=0.0, user_attributes=0.0, taste_pool=0))
    plain = Engine(library, text_encoder=encoder, ask_questions=False)
    mine = personal.respond("with-model", text, user_id="fan").items
    theirs = plain.respond("without-model", text).items
    return mine, {i.id for i in theirs}


@pytest.mark.parametrize(("text", "lifted_item", "line"), [
    ("show me some clothes", "d030", "you liked similar navy blue items"),  # wool, Northfold: only the colour
    ("我想看看衣服", "d030", "你喜欢过类似的藏青色商品"),
    ("show me some clothes", "d014", "you liked another Marlane item"),  # magenta leather shoes by Marlane (d018)
])
def test_an_item_taste_lifted_names_what_it_shares_with_the_liked_ones(library, encoder, text, lifted_item, line):
    mine, without = pages(library, encoder, [lifted_item], text)
    assert lifted_item in [i.id for i in mine] and lifted_item not in without  # the model lifted it
    why = {i.id: i.why for i in mine}
    assert why[lifted_item].startswith(line), why[lifted_item]
    others = [i for i in mine if i.id != lifted_item]
    assert others and all("liked" not in i.why and "喜欢过" not in i.why for i in others), why


def test_no_similarity_is_claimed_where_there_is_none(library, encoder):
    # orange polyester by Northfold: no colour, brand or material in common with the navy cotton things liked
    mine, without = pages(library, encoder, ["d035"], "show me some clothes")
    assert "d035" in [i.id for i in mine] and "d035" not in without
    assert all("liked" not in i.why for i in mine), [(i.id, i.why) for i in mine]


@pytest.mark.parametrize("text", ["show me some clothes", "我想看看衣服"])
def test_with_the_shipped_blend_every_taste_claim_is_true(library, encoder, text):
    # the shipped taste lifts items of the liked colours (and brings them in as candidates): each item whose
    # why-line says the user liked similar items shares a colour, brand, material or pattern with one they liked
    engine = Engine(library, text_encoder=encoder, ask_questions=False, user_model=Prefers())
    items = engine.respond("shipped", text, user_id="fan").items
    liked = [library.profile(i) for i in LIKED]
    claims = [i for i in items if "liked" in i.why or "喜欢过" in i.why]
    assert claims, [(i.id, i.why) for i in items]  # the navy things they liked bring navy items
    for item in claims:
        profile = library.profile(item.id)
        shared = {c.lower() for c in profile.colours()} & {c.lower() for p in liked for c in p.colours()}
        for name in ("brand", "material", "pattern"):
            shared |= _values(profile, name) & set().union(*(_values(p, name) for p in liked))
        assert shared, (item.id, item.why, profile.attributes)
        line = taste_reason(profile, liked, "zh" if text.startswith("我") else "en")
        assert line is not None and item.why.startswith(line), (item.id, item.why, line)


def _values(profile, name: str) -> set[str]:
    v = profile.value(name)
    return {str(x).lower() for x in (v if isinstance(v, list) else [v]) if x not in (None, "")}


def test_the_reason_counts_only_chosen_items_and_never_the_item_itself(library):
    chosen = chosen_items([*library.interactions("fan"), Interaction("fan", "d030", "reject", None, 9e9)])
    assert chosen == list(LIKED)  # the view and the rejection are no choices
    profiles = [library.profile(i) for i in chosen]
    assert taste_reason(library.profile("d034"), profiles, "en") == "you liked similar navy blue items"
    assert taste_reason(library.profile("d009"), profiles, "en") == "you liked a similar navy blue item"  # not itself
    assert taste_reason(library.profile("d035"), profiles, "en") is None
    assert taste_reason(library.profile("d034"), [], "zh") is None
