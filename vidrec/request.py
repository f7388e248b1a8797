"""What a shopper can ask for: the attribute registry and one `Request` type.

Every attribute a shopper can name ("red", "under 200", "for my husband", "cotton") is one `Attribute` in
`REGISTRY`: its name in code, its JSON key, whether it holds one value or several, where its words come from,
its labels in Chinese and English, and how search and the dialog use it (hard filter, ranking, question).
The NLU reads attributes into a `Request`, the dialog accumulates them (`merge`), search filters and ranks on
them (`to_filter`, `Attribute.compare`), and replies describe them (`describe`).

Adding an attribute is one `REGISTRY.register(Attribute(...))` plus its vocabulary (a `Vocabulary` of terms with
their English and Chinese names): the NLU lexicon picks its words up, the request carries it, search ranks items
whose profile has the attribute, and `describe` names it.

Names in code use `colour`; the JSON keys (`Attribute.key`) stay as the API has always spelled them (`color`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, Field, model_serializer, model_validator

from vidrec.vocabulary import (
    COLOUR_VOCABULARY,
    GENDER_VOCABULARY,
    MATERIAL_VOCABULARY,
    PATTERN_VOCABULARY,
    SEASON_VOCABULARY,
    USAGE_VOCABULARY,
    Taxonomy,
    Vocabulary,
    colours_match,
)

log = logging.getLogger(__name__)

Comparison = Literal["equal", "family", "range"]


@dataclass(frozen=True)
class Attribute:
    """One thing a shopper can ask for.

    - name: the name in code ("colour"); key: the JSON key and NLU slot ("color").
    - multi: several values at once ("red or blue"); otherwise a later value replaces the earlier one.
    - vocabulary: the built-in terms with English and Chinese names; None when the values are the catalog's own
      labels (category: the store's taxonomy; brand: the catalog's brands) or numbers (price) or sizes.
    - labels / plurals: how a reply names the attribute ({"en": "colour", "zh": "颜色"}); ask: how a question
      names it when that differs ("men's or women's").
    - filterable: a hard filter in search (`Request.to_filter`); ranks: adds to an item's attribute score.
    - excludable: the shopper can rule values out ("no black ones"): kept under `<key>_exclude`, always a filter.
    - ask_order: the dialog may ask a question about it (None: never); of two questions that split the
      candidates equally well, the lower order is asked.
    - compare: "equal" (the item's value is the one asked for), "family" (colours: "Navy Blue" is blue),
      "range" (price: between a minimum and a maximum, JSON keys `<key>_min` / `<key>_max`).
    - by_confidence: a match counts as much as the item's confidence in its value (categories guessed from
      pixels); universal: item values that fit every request ("Unisex"); unknown_score: what an item whose value
      is unknown scores (a garment of unknown gender may well fit).
    - profile: the item-profile attribute it is compared with; columns: catalog columns that give it.
    - facet: the vector index's payload field it filters on (`Filter.<facet>`, `<facet>_none`, `<facet>_min`,
      `<facet>_max`); a filterable or excludable attribute needs one.
    """

    name: str
    key: str
    labels: dict[str, str]
    multi: bool = False
    vocabulary: Vocabulary | None = None
    plurals: dict[str, str] = field(default_factory=dict)
    ask: dict[str, str] = field(default_factory=dict)
    filterable: bool = False
    ranks: bool = False
    excludable: bool = False
    ask_order: int | None = None
    compare: Comparison = "equal"
    by_confidence: bool = False
    universal: tuple[str, ...] = ()
    unknown_score: float = 0.0
    profile: str = ""
    facet: str = ""
    columns: tuple[str, ...] = ()

    @property
    def profile_key(self) -> str:
        return self.profile or self.key

    def label(self, lang: str, plural: bool = False) -> str:
        lang = "zh" if lang == "zh" else "en"
        if plural and lang in self.plurals:
            return self.plurals[lang]
        return self.labels.get(lang, self.key)

    def ask_label(self, lang: str) -> str:
        return self.ask.get("zh" if lang == "zh" else "en") or self.label(lang)

    def term_name(self, value: Any, lang: str) -> str:
        """A value as a reply says it: the vocabulary's Chinese name, or the English label in lower case."""
        term = self.vocabulary.lookup(str(value)) if self.vocabulary is not None else None
        if term is None:
            return str(value)
        return term.zh_name if lang == "zh" else term.canonical.lower()

    def matches(self, have: Any, wanted: Iterable[Any]) -> bool:
        """Whether an item's value (one or a list) is one of the values asked for."""
        values = [str(v) for v in (have if isinstance(have, list) else [have]) if v not in (None, "")]
        wanted = [str(w) for w in wanted]
        if self.compare == "family":
            return colours_match(values, wanted)
        return any(v in wanted for v in values)


class Registry:
    """The attributes, in the order replies, JSON and the NLU list them."""

    def __init__(self, attributes: Iterable[Attribute] = ()):
        self._by_name: dict[str, Attribute] = {}
        for a in attributes:
            self.register(a)

    def register(self, attribute: Attribute) -> Attribute:
        if attribute.name in self._by_name or self.by_key(attribute.key) is not None:
            raise ValueError(f"attribute {attribute.name!r} ({attribute.key!r}) is already registered")
        self._by_name[attribute.name] = attribute
        return attribute

    def unregister(self, name: str) -> None:
        self._by_name.pop(name, None)

    @contextmanager
    def added(self, attribute: Attribute) -> Iterator[Attribute]:
        """Register an attribute for the duration of a block (tests, experiments)."""
        self.register(attribute)
        try:
            yield attribute
        finally:
            self.unregister(attribute.name)

    def __iter__(self) -> Iterator[Attribute]:
        return iter(list(self._by_name.values()))

    def __contains__(self, name: str) -> bool:
        return self.find(name) is not None

    def get(self, name: str) -> Attribute:
        """The attribute by its name in code or its JSON key ("colour" or "color"); KeyError when unknown."""
        a = self.find(name)
        if a is None:
            raise KeyError(name)
        return a

    def find(self, name: str) -> Attribute | None:
        return self._by_name.get(name) or self.by_key(name)

    def by_key(self, key: str) -> Attribute | None:
        return next((a for a in self._by_name.values() if a.key == key), None)

    def vocabulary_of(self, key: str) -> Vocabulary | None:
        """The vocabulary of an attribute by name, JSON key or item-profile key ("colour", "color", "colors")."""
        attribute = self.find(key) or next((a for a in self if a.profile_key == key), None)
        return attribute.vocabulary if attribute is not None else None

    def with_vocabulary(self) -> list[Attribute]:
        """Attributes whose words come from a built-in vocabulary (the NLU lexicon and the ingest read them)."""
        return [a for a in self if a.vocabulary is not None]

    def askable(self) -> list[Attribute]:
        """The attributes the dialog may ask about, in the order it prefers them."""
        return sorted((a for a in self if a.ask_order is not None), key=lambda a: a.ask_order)


REGISTRY = Registry([
    Attribute("category", "category", {"en": "type", "zh": "品类"}, ask={"en": "type of product", "zh": "品类"},
              plurals={"en": "items", "zh": "商品"}, filterable=True, ranks=True, ask_order=1, by_confidence=True,
              facet="category"),
    Attribute("colour", "color", {"en": "colour", "zh": "颜色"}, multi=True, vocabulary=COLOUR_VOCABULARY,
              plurals={"en": "colours", "zh": "颜色"}, ranks=True, excludable=True, ask_order=3, compare="family",
              profile="colors", facet="colors", columns=("color", "colour", "basecolour", "basecolor", "颜色")),
    Attribute("brand", "brand", {"en": "brand", "zh": "品牌"}, multi=True, plurals={"en": "brands", "zh": "品牌"},
              filterable=True, excludable=True, ask_order=7, facet="brand"),
    Attribute("gender", "gender", {"en": "fit", "zh": "适合人群"}, vocabulary=GENDER_VOCABULARY,
              ask={"en": "men's or women's", "zh": "男款还是女款"}, ranks=True, ask_order=2, universal=("Unisex",),
              unknown_score=0.5,
              columns=("gender", "sex", "性别")),
    Attribute("price", "price", {"en": "price", "zh": "价格"}, ask={"en": "budget", "zh": "预算"},
              plurals={"en": "prices", "zh": "价格"}, filterable=True, ask_order=5, compare="range", facet="price"),
    Attribute("material", "material", {"en": "material", "zh": "材质"}, vocabulary=MATERIAL_VOCABULARY,
              plurals={"en": "materials", "zh": "材质"}, ranks=True, ask_order=6,
              columns=("material", "fabric", "材质", "面料")),
    Attribute("usage", "usage", {"en": "occasion", "zh": "适用场合"}, vocabulary=USAGE_VOCABULARY,
              ask={"en": "occasion", "zh": "场合"}, plurals={"en": "occasions", "zh": "场合"}, ask_order=4,
              columns=("usage", "occasion", "场合")),
    Attribute("season", "season", {"en": "season", "zh": "季节"}, vocabulary=SEASON_VOCABULARY,
              plurals={"en": "seasons", "zh": "季节"}, columns=("season", "季节")),
    Attribute("pattern", "pattern", {"en": "pattern", "zh": "图案"}, vocabulary=PATTERN_VOCABULARY,
              plurals={"en": "patterns", "zh": "图案"}, columns=("pattern", "图案")),
    Attribute("size", "size", {"en": "size", "zh": "尺码"}, plurals={"en": "sizes", "zh": "尺码"}),
])


def attribute_label(name: str, lang: str) -> str:
    """How a reply names an attribute; a name the registry does not know ("shipping", "warranty") as it is."""
    a = REGISTRY.find(name)
    return a.label(lang) if a is not None else name


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == ()


class Request(BaseModel):
    """What the shopper asks for: attribute values (by name in code), values ruled out, and a price range.

    Serialised with the JSON keys (`color`, `color_exclude`, `price_min`...), only what is set; validated from
    the same shape, so stored sessions and API clients see the keys they always have.
    """

    values: dict[str, Any] = Field(default_factory=dict)
    excluded: dict[str, list[str]] = Field(default_factory=dict)

    # ------------------------------------------------------------------------------------------ JSON shape

    @model_validator(mode="before")
    @classmethod
    def _from_keys(cls, data: Any) -> Any:
        if not isinstance(data, dict) or set(data) <= {"values", "excluded"} and data:
            return data
        values: dict[str, Any] = {}
        excluded: dict[str, list[str]] = {}
        for key, value in data.items():
            if _empty(value):
                continue
            if key.endswith("_exclude") and (a := REGISTRY.find(key[: -len("_exclude")])) is not None:
                excluded[a.name] = [str(v) for v in (value if isinstance(value, list) else [value])]
                continue
            if key.endswith(("_min", "_max")) and (a := REGISTRY.find(key[:-4])) is not None and a.compare == "range":
                values[f"{a.name}{key[-4:]}"] = float(value)
                continue
            a = REGISTRY.find(key)
            if a is None or a.compare == "range":
                # a session stored when another attribute was registered still loads, without it
                log.warning("ignoring %r: no such request attribute", key)
                continue
            if a.multi:
                values[a.name] = [str(v) for v in (value if isinstance(value, list) else [value])]
            else:
                values[a.name] = value
        return {"values": values, "excluded": excluded}

    @model_serializer(mode="plain")
    def _to_keys(self) -> dict[str, Any]:
        return self.to_json()

    def to_json(self, attributes: Iterable[Attribute] | None = None) -> dict[str, Any]:
        """{"category": "Dress", "color": ["Red"], "color_exclude": [...], "price_max": 300.0, ...}: only what is set,
        in registry order."""
        out: dict[str, Any] = {}
        for a in attributes if attributes is not None else REGISTRY:
            if a.compare == "range":
                for end in ("_min", "_max"):
                    v = self.values.get(a.name + end)
                    if v is not None:
                        out[a.key + end] = v
            elif not _empty(self.values.get(a.name)):
                v = self.values[a.name]
                out[a.key] = list(v) if a.multi else v
            if self.excluded.get(a.name):
                out[a.key + "_exclude"] = list(self.excluded[a.name])
        return out

    # ------------------------------------------------------------------------------------------ reading

    def get(self, name: str, default: Any = None) -> Any:
        """The value asked for (a list for a multi-valued attribute), or `default`."""
        a = REGISTRY.get(name)
        v = self.values.get(a.name)
        if _empty(v):
            return default
        return list(v) if a.multi else v

    def all(self, name: str) -> list[Any]:
        """The values asked for as a list (one value becomes a list of one)."""
        v = self.get(name)
        return [] if v is None else (list(v) if isinstance(v, list) else [v])

    def excluded_values(self, name: str) -> list[str]:
        return list(self.excluded.get(REGISTRY.get(name).name, []))

    def range(self, name: str = "price") -> tuple[float | None, float | None]:
        a = REGISTRY.get(name)
        return self.values.get(a.name + "_min"), self.values.get(a.name + "_max")

    @property
    def price_min(self) -> float | None:
        return self.values.get("price_min")

    @property
    def price_max(self) -> float | None:
        return self.values.get("price_max")

    def known(self) -> set[str]:
        """JSON keys that carry a value (`price_min`, `color_exclude` included): the dialog never asks about them."""
        return set(self.to_json())

    def is_empty(self) -> bool:
        return not self.to_json()

    def __bool__(self) -> bool:
        return not self.is_empty()

    # ------------------------------------------------------------------------------------------ changing

    def set(self, name: str, value: Any) -> Request:
        """This request with one attribute set (a list for multi-valued ones; None clears it), in place."""
        a = REGISTRY.get(name)
        if _empty(value):
            self.values.pop(a.name, None)
        else:
            self.values[a.name] = [str(v) for v in value] if a.multi and isinstance(value, list) else (
                [str(value)] if a.multi else value)
        return self

    def set_range(self, lo: float | None, hi: float | None, name: str = "price") -> Request:
        a = REGISTRY.get(name)
        for end, v in (("_min", lo), ("_max", hi)):
            if v is None:
                self.values.pop(a.name + end, None)
            else:
                self.values[a.name + end] = float(v)
        return self

    def exclude(self, name: str, values: Iterable[str], keep_wanted: bool = False) -> Request:
        """Rule values out (kept sorted); they stop being asked for unless `keep_wanted`. In place."""
        a = REGISTRY.get(name)
        out = sorted(set(self.excluded.get(a.name, [])) | {str(v) for v in values})
        if out:
            self.excluded[a.name] = out
        if keep_wanted:
            return self
        wanted = [v for v in self.all(a.name) if v not in out]
        self.set(a.name, wanted if a.multi else (wanted[0] if wanted else None))
        return self

    def merge(self, other: Request) -> Request:
        """A later message's request applied to this one, as the dialog accumulates it: a value named again
        replaces the earlier one (a colour list replaces the list: "in blue" after "red"), a price range named
        again replaces both ends, values ruled out accumulate, and wanting a value again takes it off the
        ruled-out list. Returns a new request."""
        out = self.model_copy(deep=True)
        for a in REGISTRY:
            if a.compare == "range":
                lo, hi = other.range(a.name)
                if lo is not None or hi is not None:
                    out.set_range(lo, hi, a.name)
                continue
            wanted = other.get(a.name)
            if wanted is not None:
                out.set(a.name, wanted)
                if a.name in out.excluded:
                    kept = [x for x in out.excluded[a.name] if x not in out.all(a.name)]
                    out.excluded[a.name] = kept
                    if not kept:
                        del out.excluded[a.name]
            ruled_out = other.excluded_values(a.name)
            if ruled_out:
                out.exclude(a.name, ruled_out)
        return out

    def without(self, *names: str) -> Request:
        """A copy without these attributes (a range attribute loses both ends; exclusions stay)."""
        out = self.model_copy(deep=True)
        for name in names:
            a = REGISTRY.get(name)
            for k in (a.name, a.name + "_min", a.name + "_max"):
                out.values.pop(k, None)
        return out

    def cleared(self, *names: str) -> Request:
        """A copy that no longer constrains these attributes at all ("any colour is fine"): the values asked for,
        both ends of a range and the values ruled out are dropped. Names or JSON keys; unknown ones are ignored."""
        out = self.model_copy(deep=True)
        for name in names:
            a = REGISTRY.find(name)
            if a is None:
                continue
            for k in (a.name, a.name + "_min", a.name + "_max"):
                out.values.pop(k, None)
            out.excluded.pop(a.name, None)
        return out

    def keep(self, *names: str) -> Request:
        """A copy with only these attributes (and their exclusions)."""
        wanted = {REGISTRY.get(n).name for n in names}
        out = Request()
        for a in REGISTRY:
            if a.name not in wanted:
                continue
            for k in (a.name, a.name + "_min", a.name + "_max"):
                if k in self.values:
                    out.values[k] = self.values[k]
            if a.name in self.excluded:
                out.excluded[a.name] = list(self.excluded[a.name])
        return out

    # ------------------------------------------------------------------------------------------ search

    def to_filter(self, base=None):
        """The hard conditions search applies inside the index (`vidrec.store.vector_index.Filter`), AND-ed with
        `base`: each filterable attribute's values (any of them), its range, and what was ruled out."""
        from vidrec.store.vector_index import Filter

        f = Filter(**{k: v for k, v in (base.__dict__ if base else {}).items()})
        for a in REGISTRY:
            if not a.facet:
                continue
            if a.compare == "range":
                lo, hi = self.range(a.name)
                if a.filterable and lo is not None:
                    old = getattr(f, a.facet + "_min")
                    setattr(f, a.facet + "_min", lo if old is None else max(old, lo))
                if a.filterable and hi is not None:
                    old = getattr(f, a.facet + "_max")
                    setattr(f, a.facet + "_max", hi if old is None else min(old, hi))
                continue
            wanted = set(self.all(a.name))
            if a.filterable and wanted:
                old = getattr(f, a.facet)
                setattr(f, a.facet, wanted if old is None else old & wanted)
            ruled_out = set(self.excluded_values(a.name))
            if a.excludable and ruled_out:
                setattr(f, a.facet + "_none", ruled_out | (getattr(f, a.facet + "_none") or set()))
        return f

    def terms(self, taxonomy: Taxonomy | None = None) -> list:
        """The vocabulary terms of what is asked for (category through `taxonomy`), for cross-language query
        expansion: category, then colours, then the other attributes with a vocabulary."""
        out = []
        if taxonomy is not None:
            for c in self.all("category"):
                t = taxonomy.lookup(c)
                if t is not None:
                    out.append(t)
        for a in REGISTRY.with_vocabulary():
            if a.ranks:
                for v in self.all(a.name):
                    t = a.vocabulary.lookup(str(v))
                    if t is not None:
                        out.append(t)
        return out

    # ------------------------------------------------------------------------------------------ words

    def describe(self, lang: str, taxonomy: Taxonomy | None = None) -> str:
        """The request in words: "红色连衣裙，200元以内" / "red dresses under 200"."""
        taxonomy = taxonomy or Taxonomy.default()
        zh = lang == "zh"
        colour = REGISTRY.get("colour")
        colours = [colour.term_name(c, lang) for c in self.all("colour")]
        cats = self.all("category")
        term = taxonomy.lookup(cats[0]) if cats else None
        if zh:
            noun = (term.zh_name if term else cats[0]) if cats else "商品"
        else:
            noun = (term.en_name if term else str(cats[0]).lower()) if cats else "items"
            if cats and (noun.endswith(("ss", "sh", "ch", "x")) or not noun.endswith("s")):
                noun += "es" if noun.endswith(("ss", "sh", "ch", "x")) else "s"
        head = ("或".join(colours) if zh else " or ".join(colours)) + (("的" if not cats else "") if zh else " ")
        head = (head if colours else "") + noun
        parts = [head.strip()]
        ranges = [a for a in REGISTRY if a.compare == "range"]
        for a in [*ranges, *(a for a in REGISTRY if a.compare != "range")]:
            if a.name in ("category", "colour"):
                continue
            if a.compare == "range":
                lo, hi = self.range(a.name)
                if lo is not None and hi is not None:
                    parts.append(f"{lo:g}-{hi:g}元" if zh else f"between {lo:g} and {hi:g}")
                elif hi is not None:
                    parts.append(f"{hi:g}元以内" if zh else f"under {hi:g}")
                elif lo is not None:
                    parts.append(f"{lo:g}元以上" if zh else f"over {lo:g}")
                continue
            values = self.all(a.name)
            if values:
                shown = ("、" if zh else ", ").join(a.term_name(v, lang) for v in values)
                parts.append(f"{a.label(lang)}：{shown}" if zh else f"{a.label(lang)}: {shown}")
        for a in REGISTRY:
            ruled_out = self.excluded_values(a.name)
            if ruled_out:
                shown = ("、" if zh else ", ").join(a.term_name(v, lang) for v in ruled_out)
                parts.append(f"不要{shown}" if zh else f"not {shown}")
        return ("，" if zh else ", ").join(parts) if zh else _join_en(parts)


def _join_en(parts: list[str]) -> str:
    """"red dresses under 200, material: cotton": the price reads on from the noun, the rest after commas."""
    out = parts[0]
    for p in parts[1:]:
        out += (" " if p.startswith(("under ", "over ", "between ")) else ", ") + p
    return out
