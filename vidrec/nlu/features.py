"""What the intent classifier sees: the message with slot values replaced by placeholders, as character n-grams and
words, plus the rule findings (which slots, references, attribute, question...) as flags.

"我想买一条红色的连衣裙" becomes "我想买一条Ⓚ的Ⓒ": the classifier learns how requests are phrased, not which
colours exist, so a catalog with other categories needs no retraining.
"""

from __future__ import annotations

import re
import zlib

from vidrec.nlu.lexicon import fold
from vidrec.nlu.slots import Evidence

PLACEHOLDERS = {
    "category": "Ⓒ", "color": "Ⓚ", "color_exclude": "Ⓧ", "brand": "Ⓑ", "material": "Ⓜ", "usage": "Ⓤ",
    "gender": "Ⓖ", "season": "Ⓢ", "pattern": "Ⓟ", "size": "Ⓩ", "price": "Ⓝ", "ref": "Ⓞ",
}
HASH_BITS = 22
_MASK = (1 << HASH_BITS) - 1
_PUNCT = str.maketrans({"，": ",", "。": ".", "、": ",", "；": ";", "：": ":", "～": "~", "…": "."})
_WORD_RE = re.compile(r"[a-z]+(?:'[a-z]+)?|[ⒸⓀⓍⒷⓂⓊⒼⓈⓅⓏⓃⓄ]")
_QUESTION_RE = re.compile(r"[?？]|[吗呢么嘛]\s*[?？!！。.~]*\s*$|^(?:what|which|how|is|are|does|do|can|could|any)\b",
                          re.A)


def delexicalise(text: str, ev: Evidence) -> str:
    """The message, folded, with every slot value, price, size and item reference replaced by one symbol."""
    spans: list[tuple[int, int, str]] = []
    for m in ev.mentions:
        spans.append((m.start, m.end, PLACEHOLDERS.get(m.slot, "Ⓒ")))
    for m in ev.negated:
        spans.append((m.start, m.end, PLACEHOLDERS["color_exclude"] if m.slot == "color" else
                      PLACEHOLDERS.get(m.slot, "Ⓒ")))
    for s, e in ev.prices:
        spans.append((s, e, PLACEHOLDERS["price"]))
    if ev.size_span:
        spans.append((ev.size_span[0], ev.size_span[1], PLACEHOLDERS["size"]))
    for r in ev.refs:
        spans.append((r.start, r.end, PLACEHOLDERS["ref"]))
    for s, e in ev.described:
        spans.append((s, e, PLACEHOLDERS["ref"]))
    spans.sort(key=lambda x: (x[0], -(x[1] - x[0])))
    out = []
    pos = 0
    folded = fold(text)
    for s, e, sym in spans:
        if s < pos:
            continue
        out.append(folded[pos:s])
        out.append(sym)
        pos = e
    out.append(folded[pos:])
    d = "".join(out).translate(_PUNCT)
    return re.sub(r"\s+", " ", d).strip()


def flags(text: str, ev: Evidence, lang: str) -> list[str]:
    """Rule findings as named binary features. The slot names are spelled out, not read from the request
    registry: they are the shipped model's features, and an attribute registered later must not change them."""
    f = [f"lang:{lang}"]
    slots = ev.slots
    for name in ("category", "color", "color_exclude", "brand", "material", "usage", "gender", "season", "pattern",
                 "size"):
        if slots.get(name):
            f.append(f"has:{name}")
    constraints = sum(1 for k in ("category", "color", "color_exclude", "brand", "material", "usage", "gender",
                                  "season", "pattern", "size") if slots.get(k))
    if "price_min" in slots or "price_max" in slots:
        f.append("has:price")
        constraints += 1
    f.append(f"constraints:{min(constraints, 3)}")
    if "category" not in slots and constraints:
        f.append("constraints_without_category")
    if slots.get("price_direction"):
        f.append(f"dir:{slots['price_direction']}")
    explicit = [r for r in ev.refs if not r.deictic]
    if len({r.position for r in explicit}) >= 2:
        f.append("refs:2+")
    elif explicit:
        f.append("refs:1")
    elif ev.refs:
        f.append("refs:deixis")
    if ev.described:
        f.append("described:" + ("2+" if len(ev.described) >= 2 else "1"))
        if len(ev.described) + len(explicit) >= 2:
            f.append("items:2+")
    if ev.attribute_keyword:
        f.append("attr")
        f.append(f"attr:{ev.attribute_keyword}")
    if ev.negated:
        f.append("negated")
    if _QUESTION_RE.search(fold(text).strip()):
        f.append("question")
    n = len(text.strip())
    f.append("len:" + ("1-3" if n <= 3 else "4-8" if n <= 8 else "9-20" if n <= 20 else "21-60" if n <= 60 else "61+"))
    return f


def features(text: str, ev: Evidence, lang: str) -> list[str]:
    """Character 1-4-grams and words of the delexicalised text, then the flags (prefixed "F:")."""
    d = delexicalise(text, ev)
    feats: list[str] = []
    padded = f"^{d}$"
    for n in (1, 2, 3, 4):
        for i in range(len(padded) - n + 1):
            g = padded[i:i + n]
            if g.strip():
                feats.append(g)
    words = _WORD_RE.findall(d)
    for w in words:
        feats.append("w:" + w)
    for a, b in zip(words, words[1:], strict=False):
        feats.append(f"b:{a}_{b}")
    feats += ["F:" + x for x in flags(text, ev, lang)]
    return feats


def hashed(feats: list[str]) -> tuple[list[int], list[float]]:
    """Feature ids (crc32, stable across runs and machines) and values; n-grams share unit weight."""
    counts: dict[int, float] = {}
    n_text = sum(1 for x in feats if not x.startswith("F:")) or 1
    text_w = 1.0 / (n_text ** 0.5)
    for x in feats:
        h = zlib.crc32(x.encode("utf-8")) & _MASK
        counts[h] = counts.get(h, 0.0) + (1.0 if x.startswith("F:") else text_w)
    return list(counts), list(counts.values())
