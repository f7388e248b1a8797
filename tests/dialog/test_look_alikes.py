"""Items whose kind was inferred, maybe wrongly: nothing but the catalog's own kind rules an item out of the close
matches of another kind, and beside a list of such look-alikes vidrec asks what else the shopper knows.

On a catalog of bare videos the kind of item comes from the pictures; with the transductive pass a wrong kind is as
sure as a right one (on the dev split every heel and every watch was filed elsewhere, three of eight at >= 0.85),
so an inferred kind, however sure, must not hide an item from "show me heels". The demo catalog gives every item's
kind; here one profile's kind is made an inference, as a bare video's would be.
"""

from __future__ import annotations

from vidrec.dialog.state import DialogState
from vidrec.recommend.search import SearchHit


def _inferred(profile, kind: str, confidence: float):
    """The profile with its kind inferred from the pictures (another kind, this sure), as on a bare video."""
    attrs = dict(profile.attributes)
    attrs["category"] = attrs["category"].model_copy(update={"value": kind, "confidence": confidence,
                                                             "source": "visual", "conflicts": [], "unsure": False})
    return profile.model_copy(update={"attributes": attrs})


def test_a_kind_the_catalog_gives_rules_an_item_out_but_an_inferred_one_does_not(engine, monkeypatch):
    shirt = next(p for p in engine.library.profiles() if p.value("category") == "Shirt")
    assert shirt.attributes["category"].source == "metadata"
    assert not engine._could_be(shirt.id, ["Hoodie"])  # the catalog says it is a shirt

    sure_guess = _inferred(shirt, "Shirt", 0.95)
    real = engine.library.profile
    monkeypatch.setattr(engine.library, "profile", lambda i: sure_guess if i == shirt.id else real(i))
    assert engine._could_be(shirt.id, ["Hoodie"])  # the pictures say shirt, sure as they are: it may be a hoodie


def test_beside_look_alikes_the_question_is_about_the_item_not_its_kind(engine):
    # look-alikes of various colours, as a pass with the kind dropped returns them (best first)
    profiles = [p for p in engine.library.profiles() if p.value("colors")][:16]
    assert len({p.value("colors")[0] for p in profiles}) >= 4
    pool = [SearchHit(id=p.id, title=p.display_title(), price=None, score=1.0 - k / 100, start=0.0, why="")
            for k, p in enumerate(profiles)]
    state = DialogState(session_id="look-alikes")
    question = engine._look_alike_question(state, pool, {"category"}, last_asked=False)
    assert question is not None and question.slot == "color" and len(question.options) >= 2
    # never two questions in a row, and never one already asked
    assert engine._look_alike_question(state, pool, {"category"}, last_asked=True) is None
    state.asked = ["color"]
    other = engine._look_alike_question(state, pool, {"category"}, last_asked=False)
    assert other is not None and other.slot not in ("color", "category", "brand"), other  # no brand names either
