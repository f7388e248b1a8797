"""Chat sessions: start one, read it, forget it, and send it a shopper's message (as JSON or as events)."""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import uuid
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from vidrec.dialog.state import DialogState
from vidrec.errors import VidrecError
from vidrec.server import problems
from vidrec.server.auth import caller_for_secret
from vidrec.server.dependencies import AppBackend, AppOwners, AppSettings, Identified, SessionPath, Shopper
from vidrec.server.expiry import admit_session, live_session
from vidrec.server.problems import Problem
from vidrec.server.routes.ownership import check_user, session_user
from vidrec.server.routes.turns import json_response, turn_out
from vidrec.server.schemas import MessageIn, Problems, SessionCreate, SessionCreated, SessionView, TurnOut

log = logging.getLogger("vidrec.server")

KEEPALIVE_S = 10.0

router = APIRouter(tags=["chat"])


def _operation_ref(path: str, method: str) -> str:
    return "#/paths/" + path.replace("~", "~0").replace("/", "~1") + "/" + method


# OpenAPI links: the session id a new session answers with is what its chat operations take (clients and tools
# such as schemathesis's stateful tests follow them)
SESSION_LINKS = {
    name: {"operationRef": _operation_ref(path, method), "parameters": {"session_id": "$response.body#/session_id"},
           "description": description}
    for name, path, method, description in (
        ("SendMessage", "/v1/sessions/{session_id}/messages", "post", "Say something in the new session."),
        ("StreamMessage", "/v1/sessions/{session_id}/messages/stream", "post", "The same, as server-sent events."),
        ("GetSession", "/v1/sessions/{session_id}", "get", "Read the session's state and history."),
        ("DeleteSession", "/v1/sessions/{session_id}", "delete", "Forget the session."),
    )
}


@router.post("/v1/sessions", status_code=201, response_model=SessionCreated,
             responses={**Problems, 201: {"description": "The session, and a client token if you had none.",
                                          "links": SESSION_LINKS}})
def create_session(caller: Shopper, backend: AppBackend, owners: AppOwners, settings: AppSettings,
                   body: SessionCreate | None = None) -> Response:
    """Start a session. Without credentials on an open server you also get a client token: keep it. With
    ``new_user`` the session gets a fresh anonymous user id, owned by you: send it as ``user_id`` when you start
    the shopper's later sessions, so their likes, carts and plays are attributed and trained on. A caller
    holds a limited number of sessions at once (429 beyond it); a session untouched for the server's session
    lifetime is deleted."""
    token = None
    if caller.anonymous:
        token = secrets.token_urlsafe(24)
        caller = caller_for_secret(token, "client")
    user_id = body.user_id if body else None
    if body is not None and body.new_user:
        if user_id:
            raise Problem(422, "user_id_and_new_user", "give a user_id or ask for a new_user, not both")
        user_id = new_anonymous_user()
    with backend.use(write=True) as live:
        if user_id:
            check_user(owners, live, caller, user_id)
        session_id = uuid.uuid4().hex
        admit_session(owners, live, caller, session_id, user_id, settings)
        live.library.save_session(session_id, DialogState(session_id=session_id, user_id=user_id).model_dump(),
                                  owner=user_id)
    return json_response(SessionCreated, SessionCreated(session_id=session_id, user_id=user_id, client_token=token),
                         201)


@router.get("/v1/sessions/{session_id}", response_model=SessionView, responses=Problems)
def get_session(session_id: SessionPath, caller: Identified, backend: AppBackend, owners: AppOwners,
                settings: AppSettings) -> Response:
    """A session's constraints, feedback, what was shown, and its history."""
    with backend.use() as live:
        row = live_session(owners, live, caller, session_id, settings.session_ttl_s)
        state = DialogState.model_validate(row["state"])
        return json_response(SessionView, SessionView(
            session_id=session_id, user_id=state.user_id, lang=state.lang, turn=state.turn,
            state=live.engine.state_view(state), history=state.history, updated_at=row.get("updated_at")))


@router.delete("/v1/sessions/{session_id}", status_code=204, responses=Problems)
def delete_session(session_id: SessionPath, caller: Identified, backend: AppBackend, owners: AppOwners,
                   settings: AppSettings) -> Response:
    """Forget a session (its recorded interactions stay with the user; erase the user to drop those)."""
    with backend.use(write=True) as live:
        live_session(owners, live, caller, session_id, settings.session_ttl_s)
        live.library.delete_session(session_id)
        owners.forget_session(session_id)
    backend.forget_sessions([session_id])
    return Response(status_code=204)


@router.post("/v1/sessions/{session_id}/messages", response_model=TurnOut, responses=Problems)
def post_message(session_id: SessionPath, body: MessageIn, caller: Identified, backend: AppBackend,
                 owners: AppOwners, settings: AppSettings) -> Response:
    """One shopper message → the reply, with items (video and thumbnail links, the second to start at)."""
    with backend.use(write=True, session=session_id) as live:
        user_id = session_user(owners, live, caller, session_id, body.user_id, settings.session_ttl_s)
        turn = turn_out(settings, live.engine.respond(session_id, body.text, user_id=user_id, owner=user_id))
    return json_response(TurnOut, turn)


@router.post("/v1/sessions/{session_id}/messages/stream", responses={
    **Problems, 200: {"content": {"text/event-stream": {}}, "description": "Events: accepted, reply, item "
                      "(one per item), done (the whole Turn); error on failure. Comments keep the stream alive."}})
async def stream_message(session_id: SessionPath, body: MessageIn, caller: Identified, backend: AppBackend,
                         owners: AppOwners, settings: AppSettings) -> StreamingResponse:
    """The reply as server-sent events, so a page can show the reply and each card as soon as they exist."""

    def check() -> str | None:
        with backend.use(write=True) as live:
            return session_user(owners, live, caller, session_id, body.user_id, settings.session_ttl_s)

    user_id = await run_in_threadpool(check)

    def compute() -> dict:
        with backend.use(write=True, session=session_id) as live:
            return turn_out(settings, live.engine.respond(session_id, body.text, user_id=user_id, owner=user_id))

    async def events() -> AsyncIterator[str]:
        yield _sse("accepted", {"session_id": session_id})
        task = asyncio.ensure_future(run_in_threadpool(compute))
        while True:
            done, _ = await asyncio.wait({task}, timeout=KEEPALIVE_S)
            if done:
                break
            yield ": keep-alive\n\n"
        try:
            turn = task.result()
        except Problem as p:
            yield problems.sse_error(p)
            return
        except VidrecError as exc:
            yield problems.sse_error(problems.from_vidrec_error(exc))
            return
        except Exception as exc:
            log.error("streamed turn failed", exc_info=exc)
            yield problems.sse_error(Problem(500, "internal_error", "something went wrong on the server"))
            return
        yield _sse("reply", {k: turn[k] for k in ("session_id", "reply", "lang", "intent", "slots", "question")})
        for index, item in enumerate(turn["items"]):
            yield _sse("item", {"index": index, "item": item})
        yield _sse("done", turn)

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


def new_anonymous_user() -> str:
    """A user id nobody else has or can guess (96 random bits), for a shopper known only by their page."""
    return f"anon-{secrets.token_hex(12)}"


def _sse(event: str, data: Any) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False, default=str)}\n\n"
