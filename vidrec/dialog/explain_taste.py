"""The taste why-line: when the user's long-term model lifted an item into the list, its reason says so.

An item counts as lifted by taste when it is on the page ranked with the user's model, not on the page the same
candidates give without it, and scored by the model above the candidates' average (`lifted`). Its why-line then names what it shares with the items the user chose
before (liked, put in the cart or bought, as the store logged them): "you liked similar navy blue items" /
"你喜欢过类似的藏青色商品". The claim is only made when it is true: the item has that attribute value and at
least one chosen item has it too (colours compared by their canonical name, brands by name, case-insensitively);
when the item shares nothing with them the reason stays what the search said. Attributes the request already
asked for come last: "navy, as you asked" is not taste.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from vidrec.request import REGISTRY, Request
from vidrec.understand.profile import ItemProfile

log = logging.getLogger(__name__)

TASTE_ATTRIBUTES = ("colour", "brand", "pattern", "material")  # in the order a why-line prefers them
CHOICE_EVENTS = frozenset({"like", "cart", "add_to_cart", "buy", "purchase", "order"})
RECENT_CHOICES = 50  # the user's latest chosen items compared with


def chosen_items(interactions: Iterable[Any], limit: int = RECENT_CHOICES) -> list[str]:
    """Ids of the items a user chose (liked, carted, bought), latest last, each once; at most ``limit``."""
    out: dict[str, None] = {}
    for e in interactions:
        if str(e.event).strip().lower() in CHOICE_EVENTS:
            out.pop(e.item_id, None)
            out[e.item_id] = None
    return list(out)[-limit:]


def _values(profile: ItemProfile, name: str) -> list[str]:
    if name == "colour":
        values: Any = profile.colours()
    else:
        values = profile.value(REGISTRY.get(name).profile_key)
    values = values if isinstance(values, list) else [values]
    return [str(v) for v in values if v not in (None, "")]


def _key(name: str, value: str) -> str:
    vocabulary = REGISTRY.vocabulary_of(name)
    term = vocabulary.lookup(value) if vocabulary is not None else None
    return (term.canonical if term is not None else value).strip().lower()


def _label(name: str, value: str, lang: str) -> str:
    vocabulary = REGISTRY.vocabulary_of(name)
    term = vocabulary.lookup(value) if vocabulary is not None else None
    if term is None:
        return value
    return term.zh_name if lang == "zh" else term.en_name


def taste_reason(profile: ItemProfile, chosen: Sequence[ItemProfile], lang: str,
                 request: Request | None = None) -> str | None:
    """The why-line for an item taste lifted, naming the attribute value it shares with the most chosen items
    (attributes the request asked for last); None when it shares none with them."""
    asked = {name for name in TASTE_ATTRIBUTES if request is not None and request.all(name)}
    others = [p for p in chosen if p.id != profile.id]
    best: tuple[tuple[bool, int, int], str, str, int] | None = None
    for rank, name in enumerate(TASTE_ATTRIBUTES):
        for value in _values(profile, name):
            key = _key(name, value)
            count = sum(1 for p in others if key in {_key(name, v) for v in _values(p, name)})
            if count == 0:
                continue
            order = (name not in asked, count, -rank)
            if best is None or order > best[0]:
                best = (order, name, value, count)
    if best is None:
        return None
    _, name, value, count = best
    label = _label(name, value, lang)
    if lang == "zh":
        return f"你喜欢过{label}的其他商品" if name == "brand" else f"你喜欢过类似的{label}商品"
    if name == "brand":
        return f"you liked other {label} items" if count > 1 else f"you liked another {label} item"
    return f"you liked similar {label} items" if count > 1 else f"you liked a similar {label} item"


def lifted(page: Sequence[Any], without_taste: Sequence[Any], taste: Mapping[str, float]) -> set[str]:
    """Ids on the page that the page ranked without the user's model does not hold and that the model scored
    above the candidates' average (an item that only moved up because another one left is not taste's doing)."""
    finite = [v for v in taste.values() if np.isfinite(v)]
    if not finite:
        return set()
    mean = float(np.mean(finite))
    return {h.id for h in page if h.id not in {w.id for w in without_taste}
            and np.isfinite(taste.get(h.id, np.nan)) and taste[h.id] > mean}


def with_taste_reasons(page: list[Any], without_taste: Sequence[Any], taste: Mapping[str, float], library: Any,
                       user_id: str, request: Request | None, lang: str) -> list[Any]:
    """The page's hits, those taste lifted with the taste why-line in front of their reason (copies: the search's
    hits are left as they were)."""
    up = lifted(page, without_taste, taste)
    if not up:
        return page
    chosen = [p for p in (library.profile(i) for i in chosen_items(library.interactions(user_id))) if p is not None]
    if not chosen:
        return page
    sep = "；" if lang == "zh" else "; "
    out = []
    for h in page:
        profile = library.profile(h.id) if h.id in up else None
        line = taste_reason(profile, chosen, lang, request) if profile is not None else None
        out.append(dataclasses.replace(h, why=f"{line}{sep}{h.why}" if h.why else line) if line else h)
    return out
