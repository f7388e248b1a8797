"""What annotated dialogs keep of a request when the shopper asks again: the evidence for the chat's restart rules.

    .venv/bin/python bench/dst_carry_evidence.py [--data ../shared/data/dialogs] [--json FILE]

- SIMMC 2.0, even dialogs only (dev): the request tracked by the chat's rules *before* this evidence was used
  (every value carried unless another kind is asked for) is compared with SIMMC's annotated frame of the turn. For
  each class of turn (a search for the kind under way with nothing else / with other words, a look-alike request
  (SIMMC INFORM:GET read as refine), a refinement (INFORM:REFINE)) it counts the carried values (not named in the
  turn) and how many SIMMC keeps.
- X-RiSAWOZ (zh and en few-shot, cumulative belief states): how many carried slot values a turn drops without
  replacing them, with the turns that do.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from nlu_eval import simmc_gold, slot_pairs  # noqa: E402
from report import emit  # noqa: E402

from vidrec.dialog.state import DialogState  # noqa: E402
from vidrec.nlu import Lexicon, parse  # noqa: E402
from vidrec.vocabulary import COLOURS, DEFAULT_CATEGORIES  # noqa: E402

SCORED = {"category", "color", "brand", "price_direction", "price_min", "price_max", "size"}


def _frame(state: DialogState, direction: str | None) -> dict:
    frame = state.request.to_json()
    if direction:
        frame["price_direction"] = direction
    return frame


def simmc(path: Path) -> dict:
    data = json.loads(path.read_text(encoding="utf-8"))["dialogue_data"]
    brands = sorted({t["transcript_annotated"]["act_attributes"]["slot_values"]["brand"] for d in data
                     for t in d["dialogue"] if isinstance(t["transcript_annotated"]["act_attributes"]
                                                          ["slot_values"].get("brand"), str)})
    lexicon = Lexicon.from_catalog([c.canonical for c in DEFAULT_CATEGORIES], [c.canonical for c in COLOURS], brands)
    counts: Counter = Counter()
    for i, d in enumerate(data):
        if i % 2:
            continue  # the odd dialogs are held out
        state, direction = DialogState(session_id="evidence"), None
        for t in d["dialogue"]:
            ann = t["transcript_annotated"]
            p = parse(t["transcript"], {"lexicon": lexicon, "shown": 3})
            before = slot_pairs(_frame(state, direction), SCORED)
            gold = slot_pairs(simmc_gold(ann["act_attributes"]["slot_values"], lexicon), SCORED)
            named = {k for k, _ in slot_pairs(p.request.to_json(), SCORED)} | (
                {"price_direction"} if p.price_direction else set())
            carried = {x for x in before if x[0] not in named}
            cls = None
            same_kind = p.request.get("category") is not None and p.request.get("category") == \
                state.request.get("category")
            if p.intent == "search" and same_kind:
                cls = "search for the kind under way, nothing else" if named == {"category"} else \
                    "search for the kind under way, with other words"
            elif ann["act"] == "INFORM:GET" and p.intent == "refine":
                cls = "look-alike request (INFORM:GET read as refine)"
            elif ann["act"] == "INFORM:REFINE" and p.intent in ("refine", "more", "critique"):
                cls = "refinement (INFORM:REFINE)"
            if cls is not None:
                other = {x for x in carried if x[0] != "category"}
                counts[(cls, "turns")] += 1
                counts[(cls, "carried values, kind excluded")] += len(other)
                counts[(cls, "kept by SIMMC")] += len(other & gold)
                kind = {x for x in carried if x[0] == "category"}
                counts[(cls, "carried kind")] += len(kind)
                counts[(cls, "kind kept by SIMMC")] += len(kind & gold)
            # the rules before: another kind starts afresh, everything else carries
            if p.intent == "search" and (not state.request.get("category") or (
                    p.request.get("category") is not None and not same_kind)):
                state.new_request()
                direction = None
            if p.intent in ("search", "refine", "more", "critique"):
                state.apply(p.request, p.clear)
                direction = p.price_direction or direction
    out: dict = {}
    for (cls, what), n in sorted(counts.items()):
        out.setdefault(cls, {})[what] = n
    return out


def xrisawoz(folder: Path) -> dict:
    out: dict = {}
    for name in ("zh_fewshot.json", "en_fewshot.json"):
        path = folder / name
        if not path.exists():
            continue
        carried = dropped = 0
        turns = []
        for dialogue in json.loads(path.read_text(encoding="utf-8")):
            previous: dict = {}
            for t in dialogue["dialogue"]:
                state = t["belief_state"].get("inform slot-values", {})
                gone = [k for k in previous if k not in state]
                carried += len(previous)
                dropped += len(gone)
                if gone:
                    utterance = t["user_utterance"]
                    turns.append({"dropped": gone, "user": utterance[0] if isinstance(utterance, list) else utterance})
                previous = state
        out[name] = {"carried_values": carried, "dropped_unreplaced": dropped, "turns_dropping": turns}
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(HERE.parent.parent / "shared" / "data" / "dialogs"))
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    data = Path(args.data)
    path = data / "simmc2" / "simmc2_dev_even.json"
    if not path.exists():
        print(f"no SIMMC 2.0 data at {path}", file=sys.stderr)
        return 2
    result = {"simmc2_even": simmc(path), "xrisawoz": xrisawoz(data / "xrisawoz")}
    emit(result, args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
