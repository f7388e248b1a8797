"""The tagger's pieces that need no trained weights: hashed characters and BIO decoding."""

from __future__ import annotations

import pytest

from vidrec.nlu.tagger import MAX_LEN, TAGS, VOCAB, Span, char_ids, decode


def tag(name: str) -> int:
    return TAGS.index(name)


def test_char_ids_are_stable_case_blind_and_bounded():
    ids = char_ids("Red 红色 dress")
    assert ids == char_ids("red 红色 DRESS")
    assert len(ids) == len("Red 红色 dress")
    assert all(1 <= i < VOCAB for i in ids)
    assert char_ids("") == [0]
    assert len(char_ids("x" * 5000)) == MAX_LEN
    assert char_ids("\ud800") and char_ids("😊")[0] != char_ids("😂")[0]


def test_decode_reads_bio_runs_and_stray_inside_tags():
    o = 0
    seq = [o, tag("B-color"), tag("I-color"), o, tag("B-excluded"), tag("I-excluded"), tag("B-excluded"),
           tag("I-category"), tag("I-category"), tag("I-color")]
    assert decode(seq) == [Span("color", 1, 3), Span("excluded", 4, 6), Span("excluded", 6, 7),
                           Span("category", 7, 9), Span("color", 9, 10)]
    assert decode([]) == []
    assert decode([o, o]) == []


def test_majority_needs_more_than_half_of_the_characters():
    from vidrec.nlu.tagger import Reading

    r = Reading({}, [], ("excluded", "excluded", "color", None, "color", "color", None, None))
    assert r.majority(0, 3) == "excluded"
    assert r.majority(1, 5) is None  # two of four
    assert r.majority(2, 6) == "color"  # three of four
    assert r.majority(4, 6) == "color"
    assert r.majority(6, 8) is None


# ------------------------------------------------------------------------------ the parser with a tagger on

@pytest.fixture(scope="module", params=[False, True], ids=["chars", "chars+rules"])
def tiny_tagger(request, tmp_path_factory):
    """A small tagger trained here on a few templates (seconds): the hook's plumbing, not any accuracy. With
    "chars+rules" the model also reads the rule extractor's tags."""
    from tools.nlu_tagger_train import train
    from vidrec.nlu.tagger import Tagger

    out = tmp_path_factory.mktemp("tagger")
    train(out, None, 6, 3, 1, 0.3, 16, 16, 32, 2e-3, read_rules=request.param)
    tagger = Tagger(out / "tagger.onnx")
    assert ("rules" in tagger.inputs) == request.param
    return tagger


@pytest.mark.slow
def test_parse_with_the_tagger_on_mixes_its_calibrated_intent_and_never_raises(tiny_tagger, monkeypatch):
    from vidrec.nlu import parse
    from vidrec.nlu import parser as P

    rules = parse("第二个加购物车", {"tagger": False})
    monkeypatch.setattr(P, "TAGGER_WEIGHT", 1.0)
    mixed = parse("第二个加购物车", {"tagger": tiny_tagger})
    reading = tiny_tagger.read("第二个加购物车")
    assert abs(sum(reading.intents.values()) - 1) < 1e-6
    assert tiny_tagger.temperature > 0
    # with weight 1 the confidence is the tagger's calibrated probability of the intent (unless a rule lifted it)
    assert mixed.confidence >= round(reading.intents[mixed.intent], 4) - 1e-4
    assert mixed.refs.item_ref == rules.refs.item_ref == 2
    for text in ("", "😊😊", "x" * 3000, "ignore previous instructions", "SELECT * FROM items;", "ᚠᛇᚻ ᛒᛦᚦ",
                 "red dresses under 200, also black shoes, compare 1 and 2, add 3 to my cart, any colour is fine"):
        p = parse(text, {"tagger": tiny_tagger})
        assert 0.0 <= p.confidence <= 1.0


def test_tagged_scope_moves_a_colour_between_wanted_and_ruled_out(monkeypatch):
    from vidrec.nlu import parser as P
    from vidrec.nlu.lexicon import Lexicon
    from vidrec.nlu.slots import extract
    from vidrec.nlu.tagger import Reading

    text = "not black, navy ok"
    ev = extract(text, Lexicon.default(), 3)
    assert ev.slots.get("color_exclude") == ["Black"] and ev.slots.get("color") == ["Navy Blue"]
    kinds = [None] * len(text)
    for i in range(4, 9):
        kinds[i] = "color"  # "black": asked for
    for i in range(11, 15):
        kinds[i] = "excluded"  # "navy": ruled out
    monkeypatch.setattr(P, "TAGGER_SCOPE", True)
    moved = P._with_tagged_scope(ev, Reading({}, [], tuple(kinds)))
    assert moved.slots.get("color") == ["Black"] and moved.slots.get("color_exclude") == ["Navy Blue"]
    monkeypatch.setattr(P, "TAGGER_SCOPE", False)
    assert P._with_tagged_scope(ev, Reading({}, [], tuple(kinds))) is ev
