"""What a session has accumulated: constraints, feedback, what was shown and asked."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

# Constraint slots that accumulate across turns (NLU slot names).
CONSTRAINT_SLOTS = ("category", "color", "color_exclude", "brand", "brand_exclude", "gender", "usage", "season",
                    "material", "pattern", "size", "price_min", "price_max")
# Preferences that survive a new search for another category (disliked brands and colours, budget gender).
STICKY_SLOTS = ("brand_exclude", "color_exclude", "gender")


class Constraints(BaseModel):
    category: str | None = None
    color: list[str] = Field(default_factory=list)
    color_exclude: list[str] = Field(default_factory=list)
    brand: list[str] = Field(default_factory=list)
    brand_exclude: list[str] = Field(default_factory=list)
    gender: str | None = None
    usage: str | None = None
    season: str | None = None
    material: str | None = None
    pattern: str | None = None
    size: str | None = None
    price_min: float | None = None
    price_max: float | None = None

    def known(self) -> set[str]:
        """Slots with a value (the policy never asks about these)."""
        out = set()
        for name, value in self.model_dump().items():
            if value not in (None, [], ""):
                out.add(name)
        return out


class DialogState(BaseModel):
    """Everything a session remembers; stored as JSON in the store so sessions survive a restart."""

    session_id: str
    user_id: str | None = None
    lang: str = "en"
    turn: int = 0
    constraints: Constraints = Field(default_factory=Constraints)
    query: str = ""  # free words of the request that no slot captured ("for the beach", "with pockets")
    critiques: list[str] = Field(default_factory=list)  # soft feature-space moves ("more formal", "深一点的颜色")
    pivot: str | None = None  # "more like the first one": the item the results revolve around
    liked: list[str] = Field(default_factory=list)
    rejected: list[str] = Field(default_factory=list)
    cart: list[str] = Field(default_factory=list)
    shown: list[str] = Field(default_factory=list)  # every item shown this request (for `more` without repeats)
    last_shown: list[str] = Field(default_factory=list)  # the list item references point into
    asked: list[str] = Field(default_factory=list)  # slots asked about in this request
    pending_question: str | None = None  # slot asked last turn and not answered yet
    pending_options: list[str] = Field(default_factory=list)  # the options offered with it
    focus: str | None = None  # the item last talked about ("this one")
    history: list[dict[str, Any]] = Field(default_factory=list)  # compact log of turns (text, intent, items)

    def new_request(self) -> None:
        """A search for something else: keep learned preferences, forget the rest of the request."""
        sticky = {k: getattr(self.constraints, k) for k in STICKY_SLOTS}
        self.constraints = Constraints(**sticky)
        self.query = ""
        self.critiques = []
        self.pivot = None
        self.shown = []
        self.last_shown = []
        self.asked = []
        self.pending_question = None
        self.pending_options = []
        self.focus = None

    def reset(self) -> None:
        """Start over completely (rejected items stay rejected: the shopper said no to them)."""
        rejected = list(self.rejected)
        cart = list(self.cart)
        self.new_request()
        self.constraints = Constraints()
        self.liked = []
        self.rejected = rejected
        self.cart = cart
