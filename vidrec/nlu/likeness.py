"""Other items asked for by likeness to one in view: "same brand as the second one", "a similar price as these",
"anything like the grey coat but in M", "like the black one in size and price", "in that colour", "和第一个一样的颜色",
"跟那件同一个牌子的".

`find_exemplar(text, ev, shown)` reads the message: which attributes are to be kept from the exemplar (JSON keys;
the kind alone when the likeness names nothing), how the message describes the exemplar ("the grey coat": its
colour and kind) and the positions it names it by. `pick(items, exemplar)` finds the exemplar among the items in
view, given as plain dicts of attribute values (the chat's cards, a scene's objects), and `copied(items, keep)`
gives the request of the values the picked items share: the one place both the chat and the state tracker of
bench/nlu_dst.py turn "same brand as those" into a brand.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from vidrec.nlu.lexicon import fold
from vidrec.nlu.references import FOCUS
from vidrec.request import REGISTRY, Request

# "a similar price as the second one" asks for a price near it: the band the parser gives "around 200"
# (vidrec/nlu/numbers.py reads "about X" as 0.8X-1.2X)
NEAR_PRICE = (0.8, 1.2)

_EN_ATTRIBUTES = {
    "brand": r"brands?|makers?|labels?|designers?|make",
    "price": r"price(?:\s+(?:range|point|tag|bracket))?|prices|cost|costs|pricing|budget|price-wise",
    "size": r"sizes?|sizing",
    "color": r"colou?rs?|shades?|hues?|colou?ring",
    "pattern": r"patterns?|prints?",
    "material": r"materials?|fabrics?",
    "category": r"kind|type|style",
}
_ZH_ATTRIBUTES = {
    "brand": r"品牌|牌子|牌", "price": r"价格|价位|价钱|价", "size": r"尺码|码数|码|尺寸|号码|大小",
    "color": r"颜色|色系|色", "pattern": r"图案|花色|花纹", "material": r"材质|面料|料子", "category": r"款式|类型|款",
}
_EN_ATTR = "|".join(f"(?:{v})" for v in _EN_ATTRIBUTES.values())
_ZH_ATTR = "|".join(f"(?:{v})" for v in _ZH_ATTRIBUTES.values())
_EN_ATTR_LIST = rf"(?:{_EN_ATTR})(?:\s*(?:,|and|&|or|/)\s*(?:the\s+|their\s+|its\s+)?(?:[a-z]+\s+)?(?:{_EN_ATTR}))*"
_ZH_ATTR_LIST = rf"(?:{_ZH_ATTR})(?:\s*(?:和|跟|、|与|及|还有)\s*(?:{_ZH_ATTR}))*"

# what a likeness may name besides the registry's attributes ("ratings", "sleeve length"): a few words
_ANY_ATTR_LIST = r"(?:[a-z-]+(?:\s+[a-z-]+)?)(?:\s*(?:,|and|&|or|/)\s*(?:the\s+)?[a-z-]+(?:\s+[a-z-]+)?){0,3}?"
# "same brand as", "the same size and price as", "similar cost and rating as", "similar price to", "similar
# ratings as" (the kind alone is kept)
_SAME_AS_RE = re.compile(rf"\b(?:same|similar|identical|matching|comparable)\s+(?!to\b|as\b|in\b|on\b)"
                         rf"(?P<attrs>{_ANY_ATTR_LIST})(?:\s+(?:range|wise))?\s*(?:as|to)\b", re.A)
# "similar in brand and size to", "the same in price as", "alike in colour to", "similar in brand and sleeve
# length to"
_SIMILAR_IN_RE = re.compile(rf"\b(?:similar|same|alike|close|comparable)\s+(?:in|on)\s+(?:terms of\s+)?(?:the\s+)?"
                            rf"(?P<attrs>{_ANY_ATTR_LIST})\s*(?:to|as|with)\b", re.A)
# "like the black one in size and price", "like those in size", "like them review wise", "as far as price"
_LIKE_IN_RE = re.compile(rf"(?:\bin\s+(?:terms of\s+)?(?:the\s+)?|\bas far as\s+(?:the\s+)?|\bwhen it comes to\s+)"
                         rf"(?P<attrs>{_EN_ATTR_LIST})(?:\s*-?\s*wise)?(?=\s*(?:$|[,.;?!]|but\b|and\b|with\b|from\b|"
                         r"by\b|except\b|though\b|please\b|pls\b|too\b|as well\b|though\b))", re.A)
# "in that colour", "in the same size", "with that same brand", "the same colour" (no "as": the item in view)
_THAT_ATTR_RE = re.compile(rf"\b(?:in|with|of|from|by|has|have)\s+(?:that|this|the same|that same|this same|those|"
                           rf"these|its|their)\s+(?:same\s+)?(?P<attrs>{_EN_ATTR_LIST})\b(?!\s*(?:as|to|like)\b)", re.A)
# a question about items in view ("is it the same brand as...", "are these similar in price to...") and the words
# that make it a request for others all the same ("do you have anything...")
_QUESTION_RE = re.compile(r"^\s*(?:is|are|was|were|does|do|did)\s+(?:it|this|that|these|those|they|the|#|number|both)\b|"
                          r"\b(?:is|are)\s+(?:it|this|that|these|those|they)\s+(?:the\s+)?(?:same|similar)\b|吗\s*[?？]?\s*$",
                          re.A)
_WANTS_RE = re.compile(r"\b(?:anything|something|any|some|others?|options?|alternatives?|more|else|show|find|see|want|"
                       r"need|looking|recommend|suggest|got|have|get|like to)\b|有没有|还有|推荐|看看|想要|要|来|找", re.A)
# the words that end an exemplar's description
_END_RE = re.compile(r"\bbut\b|\bexcept\b|\bexcluding\b|[,;?!]|\.(?:\s|$)|\bin\b(?!\s+(?:the|that|this|those|these|"
                     r"its|their)\b)|\bmade by\b|\bby\b|\bfrom\b|\bwith\b|\bas far as\b|\bthat (?:is|are|comes?|has)\b|"
                     r"\b(?:review|rating|price|size|brand)[\s-]*wise\b|\band\s+(?:with|in|from|by|has)\b", re.A)
_DEFINITE_RE = re.compile(r"\b(?:the|that|this|those|these|them|it|either|both|yours|one)\b", re.A)
_PLURAL_RE = re.compile(r"\b(?:these|those|them|they|both|either|ones|pairs)\b|\bthe two\b", re.A)
# the plain likeness of an indefinite to a definite item: "anything like the grey coat", "something similar to it"
_INDEFINITE = (r"\b(?:anything|something|others|else|options?|alternatives?|items?|ones|pairs|stuff|more)\b|"
               r"\bwhat\s+(?:else\s+)?(?:do|did|can|could)\s+(?:you|u)\s+(?:have|got|show|find)\b|"
               r"\b(?:a|an|any|some|other)\s+(?:[a-z-]+\s+){0,3}?")
_LIKE_RE = re.compile(rf"(?:{_INDEFINITE})\s*(?:[a-z'-]+\s+){{0,5}}?(?P<like>like|similar(?:\s+to)?|resembling|that resembles?|"
                      r"close to|along the lines of)\s+(?=(?:the|that|this|those|these|them|it|either|both|one)\b)", re.A)
# Chinese: "和第一个一样的颜色", "跟那件差不多的价位", "跟第二个同一个牌子", "和这个一样的", "像第一个那样的"
_ZH_SAME_RE = re.compile(rf"(?:和|跟|与|同|像)(?P<ex>[^，。,.!?？！]{{1,14}}?)(?:一样|相同|同样|差不多|类似|一致|同一个|同一|同款|那样|似的)"
                         rf"(?:的)?\s*(?P<attrs>{_ZH_ATTR_LIST})?", re.A)
_ZH_SAME_ATTR_RE = re.compile(rf"(?P<ex>(?:第[一二三四五六七八九十\d]+|这|那|最后)[个件款条双只套]?)(?:的)?\s*(?:同|一样的?)"
                              rf"(?P<attrs>{_ZH_ATTR_LIST})", re.A)


def _keys(attrs: str, zh: bool = False) -> list[str]:
    table = _ZH_ATTRIBUTES if zh else _EN_ATTRIBUTES
    out: list[str] = []
    for m in re.finditer("|".join(f"(?P<{k}>{v})" for k, v in table.items()), attrs):
        key = m.lastgroup
        if key and key not in out:
            out.append(key)
    return out


def find_exemplar(text: str, mentions: Sequence[Any], refs: Sequence[Any], shown: int | None) -> dict | None:
    """The likeness a message asks for, or None: {"keep": [JSON keys], "described": {"color": [...], "category":
    ...}, "item_refs": [positions], "plural": bool, "span": (start, end)}. `mentions` and `refs` are the lexicon
    mentions and item references of vidrec.nlu.slots.extract (their spans index the folded text)."""
    if not shown:
        return None
    folded = fold(text)
    keep: list[str] = []
    lo = hi = None
    for rx in (_SAME_AS_RE, _SIMILAR_IN_RE):
        m = rx.search(folded)
        if m is not None:
            keep = _keys(m.group("attrs")) or ["category"]
            lo = m.end()
            stop = _END_RE.search(folded, lo)
            hi = stop.start() if stop is not None else len(folded)
            break
    if not keep:
        m = _LIKE_RE.search(folded)
        if m is not None:
            lo = m.end()
            stop = _END_RE.search(folded, lo)
            hi = stop.start() if stop is not None else len(folded)
            after = _LIKE_IN_RE.search(folded, hi)
            if after is not None and re.fullmatch(r"\s*(?:[a-z'-]+\s+){0,3}?", folded[hi:after.start()] + " "):
                keep = _keys(after.group("attrs"))
            if not keep:
                keep = ["category"]
    if not keep:
        m = _THAT_ATTR_RE.search(folded)
        if m is not None:
            keep = _keys(m.group("attrs"))
            lo = hi = m.start()
    zh = False
    if not keep:
        m = _ZH_SAME_RE.search(folded) or _ZH_SAME_ATTR_RE.search(folded)
        if m is not None and any(r.start >= m.start("ex") and r.end <= m.end("ex") for r in refs):
            zh = True
            keep = _keys(m.group("attrs"), zh=True) if m.group("attrs") else ["category"]
            lo, hi = m.start("ex"), m.end("ex")
    if not keep or lo is None or hi is None:
        return None
    if "category" not in keep:
        keep.append("category")  # "the same size as that dress": more dresses (a kind the message names wins)
    if lo == hi or not zh:
        start = lo if lo != hi else hi
        if _QUESTION_RE.search(folded[:start]) and not _WANTS_RE.search(folded[:start]):
            return None  # "is it the same brand as the first one?": a question about items in view, no request
    if any(r.position != FOCUS and r.end <= lo for r in refs) and not _WANTS_RE.search(folded[:lo]):
        return None  # "第二个和第一个一样的颜色吗", "#2 is the same size as #1": items compared, nothing asked for
    words = folded[lo:hi]
    if lo != hi and not zh and not _DEFINITE_RE.search(words):
        return None  # "same brand as a red dress": no item in view is the exemplar
    inside = [r for r in refs if lo <= r.start < hi] if lo != hi else list(refs)
    positions = [r.position for r in inside if r.position != FOCUS]
    if not positions and (any(r.position == FOCUS for r in inside) or lo == hi
                          or re.match(r"\s*(?:that|this|it)(?:\s+one)?\s*$", words)):
        positions = [FOCUS] if not _PLURAL_RE.search(words or folded) else []
    described: dict[str, Any] = {}
    for mention in mentions:
        if lo <= mention.start < hi and mention.slot in ("color", "category", "brand"):
            if mention.slot == "color":
                described.setdefault("color", [])
                if mention.value not in described["color"]:
                    described["color"].append(mention.value)
            else:
                described.setdefault(mention.slot, mention.value)
    return {"keep": keep, "described": described, "item_refs": positions,
            "plural": bool(_PLURAL_RE.search(words)) or len(positions) > 1, "span": (lo, hi)}


def _matches(key: str, have: Any, wanted: Any) -> bool | None:
    """Whether an item's value fits a described one: True, False, or None when the item's value is unknown."""
    if have in (None, "", []):
        return None
    attribute = REGISTRY.find(key)
    wanted_list = wanted if isinstance(wanted, list) else [wanted]
    if attribute is None:
        return any(str(h) in map(str, wanted_list) for h in (have if isinstance(have, list) else [have]))
    if key == "color":
        return all(attribute.matches(have, [w]) for w in wanted_list)
    return attribute.matches(have, wanted_list)


def pick(items: Sequence[Mapping[str, Any]], described: Mapping[str, Any], item_refs: Sequence[int] = (),
         plural: bool = False, focus: int | None = None, listed: int | None = None) -> list[int]:
    """Indices of the items in view the exemplar is. `items` are in the order the shopper sees them, the last
    list first (1-based positions count in its first `listed` items; all by default); `focus` is the index of the
    item under discussion ("that"). Positions win, then the description: the items whose known values fit every
    described one, the ones that surely fit first. With no description, "these / those" are the last list, and
    "that" the item in focus (or the one item listed)."""
    if not items:
        return []
    listed = len(items) if listed is None else min(listed, len(items))
    chosen = [r - 1 for r in item_refs if r != FOCUS and 1 <= r <= listed]
    if chosen:
        return list(dict.fromkeys(chosen))
    if not described:
        if plural:
            return list(range(listed))
        if FOCUS in item_refs and focus is not None and 0 <= focus < len(items):
            return [focus]
        return [0] if listed == 1 else []
    sure, possible = [], []
    for i, item in enumerate(items):
        verdicts = [_matches(k, item.get(k), v) for k, v in described.items()]
        if any(v is False for v in verdicts):
            continue
        (sure if all(v for v in verdicts) else possible).append(i)
    # several that surely fit the words: the values they share decide (copied); of items that may fit (a value
    # unknown), only a lone one is taken
    return sure or (possible if len(possible) == 1 else [])


def copied(items: Sequence[Mapping[str, Any]], keep: Sequence[str]) -> Request:
    """The request of the kept attributes' values that every picked item with a known value shares (a price: the
    band around the items' prices when they agree within it)."""
    out = Request()
    for key in keep:
        values = [item.get(key) for item in items if item.get(key) not in (None, "", [])]
        if not values:
            continue
        if key == "price":
            prices = [float(v) for v in values if isinstance(v, int | float)]
            if not prices:
                continue
            lo, hi = min(prices) * NEAR_PRICE[0], max(prices) * NEAR_PRICE[1]
            if max(prices) * NEAR_PRICE[0] > min(prices) * NEAR_PRICE[1]:
                continue  # prices too far apart to be "similar" to all of them
            out.set_range(round(lo, 2), round(hi, 2))
            continue
        attribute = REGISTRY.find(key)
        if attribute is None:
            continue
        if attribute.multi:
            shared = [v for v in (values[0] if isinstance(values[0], list) else [values[0]])
                      if all(v in (x if isinstance(x, list) else [x]) for x in values)]
            if shared:
                out.set(attribute.name, shared if key == "color" else shared[:1])
        elif all(v == values[0] for v in values):
            out.set(attribute.name, values[0])
    return out

