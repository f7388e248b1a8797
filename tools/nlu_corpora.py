"""Public dialog corpora mapped to our intents and slots, for training (permissive licences) and evaluation.

Nothing here is needed at run time: these readers take a data folder (e.g. ../shared/data/dialogs) and are
used by `tools.nlu_train` and the benchmarks. Each returns `Turn`s; `intent` is None where a turn has no
counterpart among our intents.

Licences decide the use: IARD / MovieBot (usersimcrs, Apache-2.0) and X-RiSAWOZ (BSD-3 / MIT) may train the
shipped weights; SIMMC 2.0 (CC BY-NC-SA 4.0) and MG-ShopDial (no licence stated) are evaluation only, and so is
CrossWOZ (Apache-2.0, but only its validation split is here: kept for transfer evaluation).
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from vidrec.nlu.numbers import parse_price_range


@dataclass
class Turn:
    text: str
    intent: str | None
    source: str
    lang: str
    slots: dict = field(default_factory=dict)  # gold slots in our names, where the corpus has them
    meta: dict = field(default_factory=dict)


# ------------------------------------------------------------------------------------- usersimcrs (Apache)

_IARD = {"IQU": "search", "REJ": "reject", "CRI-A": "refine", "CRI-F": "critique", "CON": "more",
         "INQ": "ask_detail", "END": "chitchat", "OTH": "chitchat", "ACC": "like"}
_MOVIEBOT = {"DISCLOSE.NON-DISCLOSE": "chitchat", "COMPLETE": "chitchat", "NOTE.LIKE": "like",
             "NOTE.DISLIKE": "reject", "INQUIRE": "more", "INQUIRE.MORE": "ask_detail",
             "INQUIRE.ITEMINFO": "ask_detail", "INQUIRE.SIMILAR": "like", "REVEAL.REVISE": "refine",
             "NOTE.ACCEPT": "like"}


def read_usersimcrs(root: str | Path) -> Iterator[Turn]:
    """IARD (gold and partially annotated) and MovieBot user turns with exactly one mapped act."""
    root = Path(root)
    files = [(root / "iard" / "formatted_IARD_annotated_gold.json", _IARD, "iard"),
             (root / "iard" / "formatted_IARD_annotated_partially.json", _IARD, "iard"),
             (root / "moviebot" / "annotated_dialogues.json", _MOVIEBOT, "moviebot")]
    for path, mapping, name in files:
        if not path.exists():
            continue
        for dialog in json.loads(path.read_text(encoding="utf-8")):
            for u in dialog.get("conversation", []):
                if u.get("participant") != "USER":
                    continue
                acts = {a.get("intent") for a in u.get("dialogue_acts", [])}
                mapped = {mapping.get(a) for a in acts}
                text = " ".join(str(u.get("utterance", "")).replace("...", ". ").split())
                if len(mapped) == 1 and None not in mapped and text:
                    yield Turn(text, mapped.pop(), name, "en", meta={"acts": sorted(acts)})


# ------------------------------------------------------------------------------------ X-RiSAWOZ (BSD/MIT)

_NAME_SLOTS = {"名称", "商品名称", "片名", "名字", "车型", "title", "name", "product name", "series"}
_PC = {"电脑", "PC"}


def _xrisawoz_intent(actions: list, first: bool) -> str | None:
    kinds = {a[0] for a in actions}
    requests = {a[2] for a in actions if a[0] == "Request"}
    if kinds and kinds <= {"General", "Greeting", "Bye"}:
        return "chitchat"
    if "Inform" in kinds:
        return "search" if (requests & _NAME_SLOTS or first) else "refine"
    if kinds & {"Request"}:
        return "ask_detail" if not requests & _NAME_SLOTS else "more"
    return None


_XR_COLOURS = {"灰色系": "Grey", "蓝色系": "Blue", "银色系": "Silver", "黑色系": "Black", "白色系": "White",
               "金色系": "Gold", "红色系": "Red", "粉色系": "Pink", "其他": None}


def read_xrisawoz(root: str | Path, pc: bool | None = None) -> Iterator[Turn]:
    """User turns of the Chinese and English few-shot dialogs.

    pc=True: only turns of the PC domain (evaluation: brand, colour, price range, with gold slots);
    pc=False: only dialogs without the PC domain (training); None: all.
    """
    root = Path(root)
    for fname, lang in (("zh_fewshot.json", "zh"), ("en_fewshot.json", "en")):
        path = root / fname
        if not path.exists():
            continue
        for dialog in json.loads(path.read_text(encoding="utf-8")):
            has_pc = bool(set(dialog.get("domains", [])) & _PC)
            if pc is False and has_pc:
                continue
            for i, t in enumerate(dialog.get("dialogue", [])):
                text = t.get("user_utterance")
                if isinstance(text, list):
                    text = text[0]
                if not isinstance(text, str) or not text.strip():
                    continue
                in_pc = bool(set(t.get("turn_domain", [])) & _PC)
                if pc is True and not in_pc:
                    continue
                actions = t.get("user_actions", [])
                slots: dict = {}
                if in_pc:
                    for a in actions:
                        if a[0] != "Inform":
                            continue
                        slot, value = a[2], str(a[3]).replace(" ", "")
                        if slot in ("品牌", "brand"):
                            slots["brand"] = value
                        elif slot in ("色系", "color"):
                            colour = _XR_COLOURS.get(value)
                            if colour:
                                slots["color"] = [colour]
                        elif slot in ("价格区间", "price range"):
                            lo, hi = _price_bucket(value)
                            if lo is not None:
                                slots["price_min"] = lo
                            if hi is not None:
                                slots["price_max"] = hi
                yield Turn(text.strip(), _xrisawoz_intent(actions, i == 0), "xrisawoz", lang, slots,
                           {"pc": in_pc, "actions": actions})


def _price_bucket(value: str) -> tuple[float | None, float | None]:
    v = value.replace("元", "")
    if v.startswith("小于") or v.startswith("lessthan"):
        return None, parse_price_range(v.replace("小于", "") + "以内")[1]
    if v.startswith("大于") or v.endswith("以上") or v.startswith("morethan"):
        return parse_price_range(v.replace("大于", "").replace("以上", "") + "以上")[0], None
    return parse_price_range(v)


# --------------------------------------------------------------------------------- SIMMC 2.0 (CC BY-NC-SA)

_SIMMC = {"REQUEST:GET": "search", "INFORM:REFINE": "refine", "ASK:GET": "ask_detail",
          "REQUEST:COMPARE": "compare", "REQUEST:ADD_TO_CART": "buy"}
# REQUEST:GET is "search" or "refine" in our terms: both count as right (see the benchmark).


def read_simmc2(path: str | Path) -> Iterator[Turn]:
    """User turns of SIMMC 2.0 with their act mapped (INFORM:DISAMBIGUATE and INFORM:GET have no counterpart)."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    for d, dialog in enumerate(data.get("dialogue_data", [])):
        for t in dialog.get("dialogue", []):
            ann = t.get("transcript_annotated", {})
            act = ann.get("act")
            sv = ann.get("act_attributes", {}).get("slot_values", {})
            yield Turn(t.get("transcript", ""), _SIMMC.get(act), "simmc2", "en", dict(sv),
                       {"act": act, "dialog": d, "request_slots": ann.get("act_attributes", {}).get("request_slots",
                                                                                                   [])})


# ------------------------------------------------------------------------------ MG-ShopDial (no licence)

def read_mg_shopdial(path: str | Path) -> Iterator[Turn]:
    """Client utterances with their majority intents (greeting -> chitchat; others kept in meta)."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    for dialog in data:
        for u in dialog.get("utterances", []):
            if u.get("participant") != "Client":
                continue
            intents = sorted(i for i, score in u.get("intents", []) if score >= 3)
            yield Turn(u.get("utterance", ""), None, "mg_shopdial", "en", meta={"intents": intents,
                                                                              "goal": u.get("goal")})


# ----------------------------------------------------------------------------------- CrossWOZ (Apache)

_CROSSWOZ_PRICE = {("酒店", "价格"), ("餐馆", "人均消费"), ("景点", "门票")}


def read_crosswoz(zip_path: str | Path) -> Iterator[Turn]:
    """User turns of the CrossWOZ validation split, acts mapped where they fit, price ranges as gold slots."""
    with zipfile.ZipFile(zip_path) as z:
        name = next(n for n in z.namelist() if n.endswith(".json"))
        data = json.loads(z.read(name).decode("utf-8"))
    for key, dialog in data.items():
        first = True
        for m in dialog.get("messages", []):
            if m.get("role") != "usr":
                continue
            acts = m.get("dialog_act", [])
            kinds = {a[0] for a in acts}
            requests = {a[2] for a in acts if a[0] == "Request"}
            if kinds and kinds <= {"General"}:
                intent = "chitchat"
            elif "Inform" in kinds or "Select" in kinds:
                intent = "search" if ("名称" in requests or first) else "refine"
            elif kinds == {"Request"} or kinds == {"Request", "General"}:
                intent = "ask_detail"
            else:
                intent = None
            slots: dict = {}
            for a in acts:
                if a[0] == "Inform" and (a[1], a[2]) in _CROSSWOZ_PRICE:
                    lo, hi = parse_price_range(str(a[3]))
                    if lo is not None:
                        slots["price_min"] = lo
                    if hi is not None:
                        slots["price_max"] = hi
            yield Turn(m.get("content", ""), intent, "crosswoz", "zh", slots, {"dialog": key, "acts": acts})
            first = False
