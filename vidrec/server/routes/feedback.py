"""Feedback: buttons in a chat (the session adapts) and events from the shop's platform (stored for training)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from vidrec.errors import ConflictError
from vidrec.server.dependencies import AppBackend, AppOwners, AppSettings, Identified
from vidrec.server.problems import Problem
from vidrec.server.routes.ownership import check_user, session_user
from vidrec.server.routes.turns import item_out, json_response
from vidrec.server.schemas import FeedbackIn, FeedbackOut, Problems

router = APIRouter(tags=["feedback"])


@router.post("/v1/feedback", response_model=FeedbackOut, responses=Problems)
def feedback(body: FeedbackIn, caller: Identified, backend: AppBackend, owners: AppOwners,
             settings: AppSettings) -> Response:
    """A button in a session (like / reject / cart: the session adapts; "reject" brings a replacement), or an
    event from your platform for a user (view, click, play, buy ...), stored for training. A play carries the
    seconds watched (``watch_s``): the web page sends them when its player closes or the video ends.

    "reject" on a card of an earlier list of the session brings a replacement for that card's place, new to the
    session; on an item the session never showed it answers 409 ``item_not_shown`` (the page is out of step with
    its session; nothing changed)."""
    if body.session_id is None and body.user_id is None:
        raise Problem(422, "no_subject", "give a session_id (buttons in a chat) or a user_id (events from your "
                      "platform)")
    value = body.value
    if body.watch_s is not None:
        if body.event != "play":
            raise Problem(422, "watch_s_not_play", f"watch_s is the seconds watched of a 'play' event, not of "
                          f"{body.event!r}; send event 'play' or leave watch_s out")
        if body.value is not None:
            raise Problem(422, "watch_s_and_value", "give the seconds watched once, as watch_s (value is its older "
                          "name)")
        value = body.watch_s
    elif body.event == "play" and body.value is not None and body.value < 0:
        raise Problem(422, "watch_s_negative", f"a play's value is the seconds watched; {body.value:g} is below 0")
    with backend.use(write=True, session=body.session_id) as live:
        profile = live.library.profile(body.item_id)
        if profile is None:
            raise Problem(404, "item_not_found", f"no item {body.item_id!r} in this catalog")
        if body.watch_s is not None and profile.duration and body.watch_s > profile.duration + 1:
            raise Problem(422, "watch_s_too_long", f"{body.watch_s:g} s watched of item {body.item_id!r}, whose video is "
                          f"{profile.duration:g} s long; send the seconds of the video watched, each second once")
        if body.session_id is not None:
            user_id = session_user(owners, live, caller, body.session_id, body.user_id, settings.session_ttl_s)
            if body.event in ("like", "reject", "cart"):
                try:
                    result = live.engine.feedback(body.session_id, body.item_id, body.event, owner=user_id)
                except ConflictError as exc:  # "not this" on a card this session never showed
                    raise Problem(409, "item_not_shown", str(exc),
                                  details=[{"session_id": body.session_id, "item_id": body.item_id}]) from exc
                return json_response(FeedbackOut, FeedbackOut(
                    recorded=user_id is not None, event=body.event, item_id=body.item_id, reply=result.reply,
                    lang=result.lang, shown=result.shown, state=result.state,
                    replacement=item_out(settings, result.replacement) if result.replacement else None))
        else:
            user_id = body.user_id
            check_user(owners, live, caller, user_id)
        if user_id is None:
            return json_response(FeedbackOut, FeedbackOut(recorded=False, event=body.event, item_id=body.item_id))
        live.library.record(user_id, body.item_id, body.event, value=value, session_id=body.session_id)
        return json_response(FeedbackOut, FeedbackOut(recorded=True, event=body.event, item_id=body.item_id))
