"""What `parse` returns for one shopper message: intent, the `Request` it states, the items it points at."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_serializer, model_validator

from vidrec.request import REGISTRY, Request

# Messages longer than this are refused by the CLI and the API (InputError, exit 2). `parse` itself never raises:
# it reads only the first MAX_CHARS characters of a longer text.
MAX_CHARS = 2000

Intent = Literal[
    "search", "refine", "critique", "reject", "like", "ask_detail", "compare", "buy", "more", "reset", "chitchat"
]
INTENTS: tuple[str, ...] = (
    "search", "refine", "critique", "reject", "like", "ask_detail", "compare", "buy", "more", "reset", "chitchat",
)
Language = Literal["zh", "en", "mixed", "other", "unknown"]

# What an ask_detail (or compare) asks about.
ATTRIBUTES: tuple[str, ...] = (
    "price", "material", "brand", "color", "size", "pattern", "usage", "season", "gender", "category", "stock",
    "shipping", "returns", "rating", "care", "warranty", "details",
)


class Refs(BaseModel):
    """Which shown items a message points at, and what it asks about them.

    - item_ref: 1-based position in the last shown list ("第二个" -> 2). 0 means the item in focus ("this",
      "这个", "it": the dialog resolves it). A position counted from the end ("the last one" -> -1) is turned into
      a position when the context says how many were shown. item_ref may exceed the number shown; the dialog
      decides what to do with "the fifth one" when three were shown.
    - item_refs: two or more positions (compare, or several items at once).
    - attribute: what an ask_detail / compare asks about, one of ATTRIBUTES (JSON keys: "color", not "colour").
    """

    model_config = ConfigDict(extra="forbid")

    item_ref: int | None = None
    item_refs: list[int] | None = None
    attribute: str | None = None

    def positions(self) -> list[int]:
        """Every position referenced: item_refs, then item_ref."""
        out = list(self.item_refs or [])
        if self.item_ref is not None:
            out.append(self.item_ref)
        return out


class Exemplar(BaseModel):
    """An item in view the shopper wants others like ("same brand as the second one", "anything like the grey coat
    but in M", "和第一个一样的颜色"; vidrec.nlu.likeness).

    - keep: JSON keys of what the others share with it ("brand", "price", "size", "color", ...), and always
      "category" (the same kind, unless the message names another): ["category"] alone when the likeness names
      nothing ("something similar to the grey coat").
    - described: how the message describes it ("the grey coat": color, category), to find it among the items in view.
    - item_refs: the positions it is named by (0: the item in focus, "that"); empty when only described.
    - plural: "these", "those", "both": several items at once.
    """

    model_config = ConfigDict(extra="forbid")

    keep: list[str]
    described: dict[str, Any] = Field(default_factory=dict)
    item_refs: list[int] = Field(default_factory=list)
    plural: bool = False


class Slots:
    """The `slots` object of the JSON output, read-only, built from a `Parse` (`Parse.slots`): the request's
    attributes under their JSON keys (brand as one string), price_direction, then the references. An attribute
    is read by its JSON key or its name in code (`slots.color`, `slots.colour`); one not set reads as None."""

    def __init__(self, values: dict[str, Any]):
        self._values = dict(values)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        base, _, suffix = name.rpartition("_") if name.endswith(("_exclude", "_min", "_max")) else (name, "", "")
        attribute = REGISTRY.find(base)
        if attribute is None and name not in Refs.model_fields and name != "price_direction":
            raise AttributeError(f"no slot {name!r}")
        return self._values.get(f"{attribute.key}_{suffix}" if attribute is not None and suffix else
                                (attribute.key if attribute is not None else name))

    def present(self) -> dict[str, Any]:
        """Only the slots that are set, in the order of the JSON output."""
        return dict(self._values)

    def __repr__(self) -> str:
        return f"Slots({self._values!r})"


class Parse(BaseModel):
    """One message understood. `.model_dump()` gives {"text", "lang", "intent", "slots", "confidence"}, "slots"
    holding the request's attributes under their JSON keys, "price_direction", and the references."""

    text: str
    lang: Language
    intent: Intent
    request: Request = Field(default_factory=Request)
    refs: Refs = Field(default_factory=Refs)
    # "cheaper" / "more premium": relative to what was shown, so the dialog turns it into a price range
    price_direction: Literal["lower", "higher"] | None = None
    # "评分4.5以上" / "rated 4+": the lowest review rating asked for (1-5 stars)
    rating_min: float | None = Field(default=None, gt=0.0, le=5.0)
    # "any colour is fine" / "颜色无所谓" / "forget the budget": JSON keys of attributes the shopper lets go
    clear: list[str] = Field(default_factory=list)
    # "same brand as the second one", "something like the grey coat": others like an item in view
    exemplar: Exemplar | None = None
    confidence: float = Field(ge=0.0, le=1.0)

    @model_validator(mode="before")
    @classmethod
    def _from_slots(cls, data: Any) -> Any:
        if not isinstance(data, dict) or "slots" not in data:
            return data
        data = dict(data)
        slots = dict(data.pop("slots") or {})
        refs = {k: slots.pop(k) for k in ("item_ref", "item_refs", "attribute") if k in slots}
        data["price_direction"] = slots.pop("price_direction", None)
        data["rating_min"] = slots.pop("rating_min", None)
        data["clear"] = list(slots.pop("clear", None) or [])
        data["exemplar"] = slots.pop("exemplar", None)
        if isinstance(slots.get("brand"), str):
            slots["brand"] = [slots["brand"]]
        data["request"] = Request.model_validate(slots)
        data["refs"] = Refs(**refs)
        return data

    def kind_only(self) -> bool:
        """The message names a kind of item and nothing else ("can you show me jackets?", "还有外套吗"): no other
        value, price word, rating, exemplar, reference or attribute let go. Read as a search for the kind under
        way, it asks for the kind afresh: on SIMMC 2.0 (even dialogs) none of the values carried into such a
        request stays in the annotated state (0 of 15), and X-RiSAWOZ's annotators drop an earlier item's values
        when another of the same domain is asked for (bench/dst_carry_evidence.py)."""
        return (self.request.known() == {"category"} and self.price_direction is None and self.rating_min is None
                and self.exemplar is None and not self.clear and not self.refs.positions())

    @property
    def slots(self) -> Slots:
        return Slots(self.slot_values())

    def slot_values(self) -> dict[str, Any]:
        """The slots that are set, under their JSON keys, in the order of the JSON output."""
        out: dict[str, Any] = {}
        for a in REGISTRY:
            for key, value in self.request.to_json([a]).items():
                out[key] = value[0] if key == "brand" else value
            if a.name == "price" and self.price_direction is not None:
                out["price_direction"] = self.price_direction
        if self.rating_min is not None:
            out["rating_min"] = self.rating_min
        if self.clear:
            out["clear"] = list(self.clear)
        if self.exemplar is not None:
            out["exemplar"] = self.exemplar.model_dump()
        out.update(self.refs.model_dump(exclude_none=True))
        return out

    @model_serializer(mode="plain")
    def _json(self) -> dict[str, Any]:
        return {"text": self.text, "lang": self.lang, "intent": self.intent, "slots": self.slot_values(),
                "confidence": self.confidence}
