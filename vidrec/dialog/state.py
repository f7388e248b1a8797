"""What a session has accumulated: the request, feedback, what was shown and asked."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from vidrec.request import Request

# Preferences that survive a new search for another category (disliked brands and colours, gender): attribute
# names in the request registry; for the excludable ones what was ruled out stays, for the others the value.
STICKY = ("brand_exclude", "colour_exclude", "gender")


class DialogState(BaseModel):
    """Everything a session remembers; stored as JSON in the store so sessions survive a restart (the request
    under its JSON name, "constraints")."""

    model_config = ConfigDict(validate_by_name=True, validate_by_alias=True, serialize_by_alias=True)

    session_id: str
    user_id: str | None = None
    lang: str = "en"
    turn: int = 0
    request: Request = Field(default_factory=Request, validation_alias=AliasChoices("constraints", "request"),
                             serialization_alias="constraints")
    query: str = ""  # free words of the request that no slot captured ("for the beach", "with pockets")
    critiques: list[str] = Field(default_factory=list)  # soft feature-space moves ("more formal", "深一点的颜色")
    pivot: str | None = None  # "more like the first one": the item the results revolve around
    liked: list[str] = Field(default_factory=list)
    rejected: list[str] = Field(default_factory=list)
    cart: list[str] = Field(default_factory=list)
    shown: list[str] = Field(default_factory=list)  # every item shown this request (for `more` without repeats)
    last_shown: list[str] = Field(default_factory=list)  # the list item references point into
    seen: list[str] = Field(default_factory=list)  # every item shown in this session, newest last (bounded)
    asked: list[str] = Field(default_factory=list)  # slots asked about in this request
    pending_question: str | None = None  # slot asked last turn and not answered yet
    pending_options: list[str] = Field(default_factory=list)  # the options offered with it
    focus: str | None = None  # the item last talked about ("this one")
    sort: str | None = None  # "cheapest" / "最贵的": price_asc or price_desc, for this request
    brand_talk: bool = False  # the shopper has talked about brands: a brand question is one they can answer
    last_close: list[str] = Field(default_factory=list)  # of last_shown, the close matches (not all conditions met)
    fresh: list[str] = Field(default_factory=list)  # conditions named in the latest message: kept over older ones
    pending_act: dict[str, Any] | None = None  # an unsure reject or buy waiting for a yes or no
    priced_out: list[str] = Field(default_factory=list)  # unpriced cards on screen at a "cheaper": not this request
    history: list[dict[str, Any]] = Field(default_factory=list)  # compact log of turns (text, intent, items)

    def apply(self, request: Request, clear: Iterable[str] = ()) -> None:
        """One message's request applied to the session's: attributes let go ("any colour is fine") are cleared,
        then values named again replace the earlier ones ("in blue instead") and the rest carry over."""
        self.request = self.request.cleared(*clear).merge(request)

    def _sticky(self) -> Request:
        kept = Request()
        for name in STICKY:
            if name.endswith("_exclude"):
                attribute = name[: -len("_exclude")]
                if self.request.excluded_values(attribute):
                    kept.exclude(attribute, self.request.excluded_values(attribute))
            elif self.request.get(name) is not None:
                kept.set(name, self.request.get(name))
        return kept

    def from_kind(self) -> None:
        """The request starts again from the kind under way and the learned preferences; what the message says is
        applied next. For others like an item in view ("anything like the grey coat but from River Chateau", "same
        brand as the second one": on SIMMC 2.0's even dialogs such requests keep the kind under way, 20 of 22, and
        none of its other values, 0 of 30) and for the kind asked for again and nothing else ("can you show me
        jackets?", 0 of 15 other values kept; bench/dst_carry_evidence.py, BENCHMARKS.md issue 16 fifth pass)."""
        kind = self.request.get("category")
        self.request = self._sticky()
        if kind is not None:
            self.request.set("category", kind)

    def new_request(self) -> None:
        """A search for something else: keep learned preferences, forget the rest of the request."""
        self.request = self._sticky()
        self.query = ""
        self.critiques = []
        self.pivot = None
        self.shown = []
        self.last_shown = []
        self.asked = []
        self.pending_question = None
        self.pending_options = []
        self.focus = None
        self.sort = None
        self.pending_act = None
        self.priced_out = []

    def reset(self) -> None:
        """Start over completely (rejected items stay rejected: the shopper said no to them)."""
        rejected = list(self.rejected)
        cart = list(self.cart)
        self.new_request()
        self.request = Request()
        self.liked = []
        self.rejected = rejected
        self.cart = cart
