"""The SIMMC state tracker of bench/nlu_dst.py on dialogs written here in SIMMC's shape (the data in ../shared is
not read by tests): items in view from the assistant's annotations, a likeness copied from the item picked, a
look-alike request and a restated kind starting again, and SIMMC's one class for blazers and jackets."""

from __future__ import annotations

import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "bench"))

import nlu_dst  # noqa: E402
from nlu_eval import slot_pairs  # noqa: E402

from vidrec.nlu import Lexicon, parse  # noqa: E402
from vidrec.vocabulary import COLOURS, DEFAULT_CATEGORIES  # noqa: E402

LEXICON = Lexicon.from_catalog([c.canonical for c in DEFAULT_CATEGORIES], [c.canonical for c in COLOURS],
                               ["Nordic Pines", "Amber Lane"])


def _system(objects, slot_values):
    return {"act": "INFORM:GET", "act_attributes": {"objects": objects, "request_slots": [],
                                                    "slot_values": slot_values}}


def _turn(tracker, scene, text, pointed=None):
    p = parse(text, {"lexicon": LEXICON, "shown": 3})
    like = scene.copied(p.exemplar, pointed) if p.exemplar is not None and p.intent in ("search", "refine") \
        else None
    return p, tracker.update(p, like)


def test_a_likeness_copies_the_picked_items_values():
    scene, tracker = nlu_dst.Scene(LEXICON), nlu_dst.Tracker()
    _turn(tracker, scene, "I need a coat in size L")
    scene.see(_system([4, 7], {"Object ID: 4": {"type": "coat", "color": "grey", "brand": "Nordic Pines",
                                                "price": 120.0},
                               "Object ID: 7": {"type": "coat", "color": "black", "brand": "Amber Lane",
                                                "price": 90.0}}))
    p, frame = _turn(tracker, scene, "Do you have anything from the same brand as the black coat?")
    assert p.intent == "refine"
    assert frame["brand"] == ["Amber Lane"]
    assert frame["category"] == "Jackets"
    assert "size" not in frame  # a look-alike request starts again from the kind under way
    p, frame = _turn(tracker, scene, "something with a similar price as the grey one?")
    assert frame["price_max"] == 120.0  # the band around 120, written as SIMMC writes it
    assert "price_min" not in frame


def test_pointed_objects_are_the_annotated_ones():
    scene, tracker = nlu_dst.Scene(LEXICON), nlu_dst.Tracker()
    _turn(tracker, scene, "show me some coats")
    scene.see(_system([4, 7], {"Object ID: 4": {"type": "coat", "brand": "Nordic Pines"},
                               "Object ID: 7": {"type": "coat", "brand": "Amber Lane"}}))
    _, frame = _turn(tracker, scene, "anything from the same brand as that one?", pointed=[4])
    assert frame["brand"] == ["Nordic Pines"]


def test_the_kind_alone_again_starts_over_and_a_complaint_does_not():
    tracker, scene = nlu_dst.Tracker(), nlu_dst.Scene(LEXICON)
    _turn(tracker, scene, "I'd like a black jacket in size M")
    _, frame = _turn(tracker, scene, "Can you show me jackets?")
    assert slot_pairs(frame) == {("category", "Jackets")}
    _turn(tracker, scene, "a black jacket in size M please")
    _, frame = _turn(tracker, scene, "I asked for jackets")
    assert frame.get("size") == "M"


def test_blazers_and_jackets_are_one_class_for_simmc():
    assert nlu_dst.gold_frame({"type": "suit"}, LEXICON)["category"] == "Jackets"
    _, frame = _turn(nlu_dst.Tracker(), nlu_dst.Scene(LEXICON), "How about showing me some blazers?")
    assert frame["category"] == "Jackets"


def test_the_exemplar_is_no_labelled_slot():
    p = parse("same brand as the second one", {"shown": 3})
    assert slot_pairs(p.model_dump()["slots"]) == set()


def test_xrisawoz_drops_are_counted(tmp_path):
    import dst_carry_evidence

    def turn(state, user):
        return {"belief_state": {"inform slot-values": state}, "user_utterance": user}

    dialogue = {"dialogue": [turn({"tv-country": "Japan"}, "a Japanese show"),
                             turn({"tv-country": "Japan", "tv-type": "drama"}, "a drama"),
                             turn({"tv-type": "comedy"}, "also find me a comedy show")]}
    (tmp_path / "zh_fewshot.json").write_text(json.dumps([dialogue]), encoding="utf-8")
    out = dst_carry_evidence.xrisawoz(tmp_path)["zh_fewshot.json"]
    assert (out["carried_values"], out["dropped_unreplaced"]) == (3, 1)
    assert out["turns_dropping"] == [{"dropped": ["tv-country"], "user": "also find me a comedy show"}]
