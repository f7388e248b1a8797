"""Buttons on a card (like / not this / add to cart) as changes to a dialog session.

A button is not a sentence, so it does not go through the NLU: it changes the session's state the way the
matching intent would (``Engine._about_items``), records the interaction for the session's user, and counts as a
turn. "Not this" also picks one replacement — the best item not shown in this request yet — and puts it in the
rejected item's place, so "the second one" still means the second card on the screen.

This reaches into the engine's session internals; ``Engine.feedback(session_id, item_id, event)`` in
vidrec/dialog/engine.py would be its natural home (see the server README section of the report).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from vidrec.dialog.engine import Engine, Turn, TurnItem
from vidrec.dialog.replies import say
from vidrec.dialog.state import DialogState
from vidrec.errors import NotFoundError

SessionEvent = Literal["like", "reject", "cart"]


class FeedbackResult(BaseModel):
    reply: str
    lang: str
    replacement: TurnItem | None = None
    shown: list[str]
    state: dict


def _replacement(engine: Engine, state: DialogState, rejected: str) -> TurnItem | None:
    """The best item for the session's request that was not shown yet (no question, no side effects)."""
    probe = state.model_copy(deep=True)
    probe.user_id = None  # the probe records no views
    probe.shown = list(dict.fromkeys([*probe.shown, *probe.last_shown, rejected]))
    turn = Turn(session_id=state.session_id, reply="", lang=state.lang, intent="reject")
    turn = engine._recommend(probe, turn, page=True)
    for item in turn.items:
        if item.id not in state.last_shown and item.id not in state.rejected:
            return item
    return None


def apply_feedback(engine: Engine, session_id: str, item_id: str, event: SessionEvent,
                   owner: str | None = None) -> FeedbackResult:
    """Apply one button press to a session that exists; NotFoundError if it does not."""
    with engine._lock(session_id):
        state = engine.load_state(session_id)
        if state is None:
            raise NotFoundError(f"no session {session_id!r}; create one with POST /v1/sessions")
        lang = state.lang
        profile = engine.library.profile(item_id)
        if profile is None:
            raise NotFoundError(f"no item {item_id!r} in this catalog")
        replacement = None
        if event == "reject":
            state.rejected = list(dict.fromkeys([*state.rejected, item_id]))
            state.liked = [i for i in state.liked if i != item_id]
            if state.pivot == item_id:
                state.pivot = None
            engine._record(state, [item_id], "reject")
            replacement = _replacement(engine, state, item_id) if item_id in state.last_shown else None
            if replacement is not None:
                state.last_shown = [replacement.id if i == item_id else i for i in state.last_shown]
                state.shown = list(dict.fromkeys([*state.shown, replacement.id]))
                engine._record(state, [replacement.id], "view")
            else:
                state.last_shown = [i for i in state.last_shown if i != item_id]
            reply = say("rejected", lang, state.turn)
        elif event == "like":
            state.liked = list(dict.fromkeys([*state.liked, item_id]))
            state.pivot = item_id
            state.focus = item_id
            engine._record(state, [item_id], "like")
            reply = say("liked", lang, state.turn)
        else:
            state.cart = list(dict.fromkeys([*state.cart, item_id]))
            state.focus = item_id
            engine._record(state, [item_id], "cart")
            reply = say("cart", lang, state.turn, title=profile.display_title())
        state.turn += 1
        state.history.append({"text": f"[{event} {item_id}]", "intent": event, "items": [item_id],
                              "question": None})
        state.history = state.history[-50:]
        engine._save_state(state, owner)
        return FeedbackResult(reply=reply, lang=lang, replacement=replacement, shown=list(state.last_shown),
                              state=engine.state_view(state))
