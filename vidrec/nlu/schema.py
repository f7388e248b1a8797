"""What `parse` returns: one intent and normalised slots for one shopper message."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_serializer

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
Gender = Literal["Men", "Women", "Boys", "Girls", "Unisex"]

# What an ask_detail (or compare) asks about.
ATTRIBUTES: tuple[str, ...] = (
    "price", "material", "brand", "color", "size", "pattern", "usage", "season", "gender", "category", "stock",
    "shipping", "returns", "rating", "care", "warranty", "details",
)


class Slots(BaseModel):
    """Normalised constraints and references. Absent slots are None (and left out of `Parse.model_dump()`).

    - category, color, brand: the catalog's own labels (see `Lexicon.from_catalog`); color may name several.
    - color_exclude: colours the shopper does not want ("no black ones", "不要黑色").
    - price_min / price_max: numbers in the shopper's currency; price_direction: "lower" ("cheaper", "便宜点") or
      "higher" ("more premium").
    - item_ref: 1-based position in the last shown list ("第二个" -> 2). 0 means the item in focus ("this",
      "这个", "it": the dialog resolves it). A position counted from the end ("the last one" -> -1) is turned into
      a position when the context says how many were shown. item_ref may exceed the number shown; the dialog
      decides what to do with "the fifth one" when three were shown.
    - item_refs: two or more positions (compare, or several items at once).
    - attribute: what an ask_detail / compare asks about, one of ATTRIBUTES.
    """

    model_config = ConfigDict(extra="forbid")

    category: str | None = None
    color: list[str] | None = None
    color_exclude: list[str] | None = None
    brand: str | None = None
    gender: Gender | None = None
    price_min: float | None = None
    price_max: float | None = None
    price_direction: Literal["lower", "higher"] | None = None
    usage: str | None = None
    season: str | None = None
    material: str | None = None
    pattern: str | None = None
    size: str | None = None
    item_ref: int | None = None
    item_refs: list[int] | None = None
    attribute: str | None = None

    def present(self) -> dict[str, Any]:
        """Only the slots that are set (no None, no empty list)."""
        return {k: v for k, v in self.model_dump().items() if v is not None and v != []}


class Parse(BaseModel):
    """One message understood: `.model_dump()` gives {"text", "lang", "intent", "slots", "confidence"}."""

    text: str
    lang: Language
    intent: Intent
    slots: Slots = Field(default_factory=Slots)
    confidence: float = Field(ge=0.0, le=1.0)

    @field_serializer("slots")
    def _slots_present(self, slots: Slots) -> dict[str, Any]:
        return slots.present()
