"""The HTTP API and the web page. ``create_app(settings)`` builds the FastAPI app; ``vidrec serve`` runs it.

Shopper endpoints (optionally behind shopper keys):
    POST   /v1/sessions                           start a session (→ session id; a client token if you had none)
    GET    /v1/sessions/{id}                      its state and history
    DELETE /v1/sessions/{id}                      forget it
    POST   /v1/sessions/{id}/messages             one message → the Turn (as `vidrec chat --jsonl` prints it)
    POST   /v1/sessions/{id}/messages/stream      the same as server-sent events
    POST   /v1/search, POST /v1/parse             one-shot search; what the NLU understood
    GET    /v1/items/{id}[/video|/thumbnail]      profile with evidence; the video (range requests); a JPEG
    POST   /v1/feedback                           like / reject / cart (in a session) or platform events
    GET    /v1/users/{id}/recommendations         from the trained user model, else popular items
    DELETE /v1/users/{id}                         erase a user's interactions and sessions
Admin (VIDREC_ADMIN_KEY): POST /v1/ingest, GET /v1/ingest, GET /v1/ingest/{job}.
Operations: GET /healthz (alive), GET /readyz (can serve), /docs and /openapi.json.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

import anyio.to_thread
from fastapi import Depends, FastAPI, Query, Request, Response
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, JSONResponse, StreamingResponse
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline

from vidrec.catalog import _id_problem
from vidrec.dialog.answers import value_text
from vidrec.dialog.engine import Turn, TurnItem
from vidrec.dialog.state import DialogState
from vidrec.errors import MediaError, VidrecError
from vidrec.server import problems
from vidrec.server.auth import (
    Caller,
    caller_for_secret,
    check_media_access,
    identify,
    media_link,
    require_admin,
    require_identified,
)
from vidrec.server.backend import Backend, Live
from vidrec.server.jobs import IngestJobs, resolve_catalog
from vidrec.server.media import MediaFileResponse, Thumbnails, best_second, video_path, video_type
from vidrec.server.middleware import RequestGuard
from vidrec.server.owners import FILE as OWNERS_FILE
from vidrec.server.owners import Ownership
from vidrec.server.problems import Problem
from vidrec.server.schemas import (
    SESSION_ID_PATTERN,
    USER_ID_PATTERN,
    FeedbackIn,
    FeedbackOut,
    Health,
    IngestIn,
    IngestJobOut,
    MessageIn,
    ParseIn,
    Problems,
    Readiness,
    SearchIn,
    SessionCreate,
    SessionCreated,
    SessionView,
    TurnOut,
    UserErased,
    UserRecommendations,
)
from vidrec.server.settings import ServerSettings

log = logging.getLogger("vidrec.server")

WEB = Path(__file__).parent / "web"
KEEPALIVE_S = 10.0
WORKER_THREADS = 12
HISTORY_EVENTS = {"like", "cart", "buy", "purchase", "click", "play"}  # what a user model reads as taste
NOT_AGAIN_EVENTS = {"reject", "cart", "buy", "purchase"}
PAGE_CSP = ("default-src 'self'; img-src 'self' data:; media-src 'self'; style-src 'self'; script-src 'self'; "
            "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")

SessionPath = Annotated[str, PathParam(pattern=SESSION_ID_PATTERN, description="A session id from POST /v1/sessions.")]
UserPath = Annotated[str, PathParam(pattern=USER_ID_PATTERN, description="Your id for the shopper.")]
ItemPath = Annotated[str, PathParam(min_length=1, max_length=128, description="An item id of the catalog.")]
JobPath = Annotated[str, PathParam(pattern=r"^[0-9a-f]{16}$")]


def _shopper(request: Request) -> Caller:
    caller = identify(request, request.app.state.settings)
    request.state.caller = caller.id
    return caller


def _identified(request: Request) -> Caller:
    return require_identified(_shopper(request))


def _admin(request: Request) -> Caller:
    caller = require_admin(request, request.app.state.settings)
    request.state.caller = caller.id
    return caller


Shopper = Annotated[Caller, Depends(_shopper)]
Identified = Annotated[Caller, Depends(_identified)]
Admin = Annotated[Caller, Depends(_admin)]


def _item_id(item_id: str) -> str:
    problem = _id_problem(item_id)
    if problem:
        raise Problem(422, "bad_item_id", f"not an item id: {problem}")
    return item_id


def create_app(settings: ServerSettings | None = None, *, text_encoder=None) -> FastAPI:
    """The app over ``settings.store``. ``text_encoder`` replaces the bundled one (tests, other models)."""
    settings = settings or ServerSettings.from_env()
    backend = Backend(settings, text_encoder=text_encoder)
    owners = Ownership(settings.store / OWNERS_FILE)
    thumbnails = Thumbnails(settings.store / "thumbnails")
    jobs = IngestJobs(settings, backend)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Turns are CPU-bound, and every worker thread keeps its own SQLite connection and page cache: a bounded
        # pool keeps memory flat under load instead of growing with anyio's default of 40 threads.
        anyio.to_thread.current_default_thread_limiter().total_tokens = WORKER_THREADS
        await run_in_threadpool(backend.open)
        log.info("serving", extra={"store": str(settings.store), **backend.status(),
                                   "shopper_keys": settings.shopper_keys_required,
                                   "admin": bool(settings.admin_key)})
        try:
            yield
        finally:
            await run_in_threadpool(jobs.stop)
            await run_in_threadpool(backend.close)
            owners.close()

    # FastAPIOffline: /docs and /redoc load Swagger UI and ReDoc from files shipped in the package, not a CDN
    app = FastAPIOffline(title="vidrec", version="0.1.0", lifespan=lifespan,
                  description="A conversational recommender that watches product videos. Errors are JSON: "
                              "{error, message, request_id}.")
    app.state.backend, app.state.owners, app.state.jobs, app.state.settings = backend, owners, jobs, settings
    problems.install(app)
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=list(settings.cors_origins), allow_credentials=False,
                           allow_methods=["GET", "POST", "DELETE", "OPTIONS"],
                           allow_headers=["Authorization", "Content-Type", "X-API-Key", "X-Request-ID"],
                           expose_headers=["X-Request-ID", "Retry-After", "Content-Range"], max_age=600)
    app.add_middleware(RequestGuard, max_body_bytes=settings.max_body_bytes)

    # ------------------------------------------------------------------------------------------------ helpers
    def item_out(item: TurnItem) -> TurnItem:
        return item.model_copy(update={"video": media_link(settings, item.id, "video"),
                                       "thumbnail": media_link(settings, item.id, "thumbnail")})

    def turn_out(turn: Turn) -> dict[str, Any]:
        data = turn.model_dump()
        data["items"] = [item_out(i).model_dump() for i in turn.items]
        if data.get("question") and data["question"].get("options"):
            data["question"]["labels"] = [option_label(data["question"].get("slot", ""), o, turn.lang)
                                          for o in data["question"]["options"]]
        return data

    def user_has_data(live: Live, user_id: str) -> bool:
        return live.library.has_interactions(user_id)

    def check_user(live: Live, caller: Caller, user_id: str) -> None:
        owners.user(user_id, caller, has_data=user_has_data(live, user_id), claim=True)

    def session_user(live: Live, caller: Caller, session_id: str, user_id: str | None) -> str | None:
        """The session's user after this request (ownership checked; a new user id is bound to the session)."""
        bound = owners.session(session_id, caller)
        if user_id is None or user_id == bound:
            return bound
        if bound is not None:
            raise Problem(409, "session_has_user", f"this session belongs to user {bound!r}; start a new session "
                          "for another user")
        check_user(live, caller, user_id)
        owners.bind_session_user(session_id, user_id)
        return user_id

    # ------------------------------------------------------------------------------------------------ the page
    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(WEB / "index.html", media_type="text/html; charset=utf-8",
                            headers={"Content-Security-Policy": PAGE_CSP, "Cache-Control": "no-cache"})

    app.mount("/static", StaticFiles(directory=WEB), name="static")

    # ------------------------------------------------------------------------------------------------ operations
    @app.get("/healthz", response_model=Health, tags=["operations"])
    def healthz() -> dict:
        """The process is up."""
        return {"status": "ok"}

    @app.get("/readyz", response_model=Readiness, tags=["operations"],
             responses={503: {"model": Readiness, "description": "not serving (no catalog yet, or starting)"}})
    def readyz() -> JSONResponse:
        """Whether the server can answer shoppers: 200 when serving (or read-only during an ingest job)."""
        s = backend.status()
        if s["mode"] == "serving":
            return JSONResponse({"status": "ready", **s})
        if s["mode"] == "ingesting" and s["items"]:
            return JSONResponse({"status": "degraded", **s})
        return JSONResponse({"status": "unavailable", **s}, status_code=503,
                            headers={"Retry-After": str(problems.RETRY_AFTER_S)})

    # ------------------------------------------------------------------------------------------------ sessions
    @app.post("/v1/sessions", status_code=201, response_model=SessionCreated, tags=["chat"],
              responses=Problems)
    def create_session(caller: Shopper, body: SessionCreate | None = None) -> SessionCreated:
        """Start a session. Without credentials on an open server you also get a client token: keep it."""
        token = None
        if caller.anonymous:
            token = secrets.token_urlsafe(24)
            caller = caller_for_secret(token, "client")
        user_id = body.user_id if body else None
        with backend.use(write=True) as live:
            if user_id:
                check_user(live, caller, user_id)
            session_id = uuid.uuid4().hex
            owners.add_session(session_id, caller, user_id)
            live.library.save_session(session_id, DialogState(session_id=session_id, user_id=user_id).model_dump(),
                                      owner=user_id)
        return SessionCreated(session_id=session_id, user_id=user_id, client_token=token)

    @app.get("/v1/sessions/{session_id}", response_model=SessionView, tags=["chat"], responses=Problems)
    def get_session(session_id: SessionPath, caller: Identified) -> SessionView:
        """A session's constraints, feedback, what was shown, and its history."""
        with backend.use() as live:
            owners.session(session_id, caller)
            row = live.library.session(session_id)
            if row is None:
                raise Problem(404, "session_not_found", f"no session {session_id!r} of yours; create one with "
                              "POST /v1/sessions")
            state = DialogState.model_validate(row["state"])
            return SessionView(session_id=session_id, user_id=state.user_id, lang=state.lang, turn=state.turn,
                               state=live.engine.state_view(state), history=state.history,
                               updated_at=row.get("updated_at"))

    @app.delete("/v1/sessions/{session_id}", status_code=204, tags=["chat"], responses=Problems)
    def delete_session(session_id: SessionPath, caller: Identified) -> Response:
        """Forget a session (its recorded interactions stay with the user; erase the user to drop those)."""
        with backend.use(write=True) as live:
            owners.session(session_id, caller)
            live.library.delete_session(session_id)
            owners.forget_session(session_id)
        return Response(status_code=204)

    @app.post("/v1/sessions/{session_id}/messages", response_model=TurnOut, tags=["chat"], responses=Problems)
    def post_message(session_id: SessionPath, body: MessageIn, caller: Identified) -> dict:
        """One shopper message → the reply, with items (video and thumbnail links, the second to start at)."""
        with backend.use(write=True) as live:
            user_id = session_user(live, caller, session_id, body.user_id)
            return turn_out(live.engine.respond(session_id, body.text, user_id=user_id, owner=user_id))

    @app.post("/v1/sessions/{session_id}/messages/stream", tags=["chat"], responses={
        **Problems, 200: {"content": {"text/event-stream": {}}, "description": "Events: accepted, reply, item "
                          "(one per item), done (the whole Turn); error on failure. Comments keep the stream alive."}})
    async def stream_message(session_id: SessionPath, body: MessageIn, caller: Identified) -> StreamingResponse:
        """The reply as server-sent events, so a page can show the reply and each card as soon as they exist."""

        def check() -> str | None:
            with backend.use(write=True) as live:
                return session_user(live, caller, session_id, body.user_id)

        user_id = await run_in_threadpool(check)

        def compute() -> dict:
            with backend.use(write=True) as live:
                return turn_out(live.engine.respond(session_id, body.text, user_id=user_id, owner=user_id))

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

    # ------------------------------------------------------------------------------------------------ catalog
    @app.post("/v1/search", tags=["catalog"], responses=Problems)
    def search(body: SearchIn, caller: Shopper) -> dict:
        """One-shot search: dense + keyword + filters, each hit with its reason and the second to play from."""
        with backend.use() as live:
            result = live.engine.searcher.search(body.query, k=body.k).to_dict()
        for hit in result["results"]:
            hit["video"] = media_link(settings, hit["id"], "video")
            hit["thumbnail"] = media_link(settings, hit["id"], "thumbnail")
        return result

    @app.post("/v1/parse", tags=["catalog"], responses=Problems)
    def parse_text(body: ParseIn, caller: Shopper) -> dict:
        """What the NLU understands in a message: language, intent, slots."""
        from vidrec.nlu import parse

        with backend.use() as live:
            return parse(body.text, context={"lexicon": live.engine.lexicon}).model_dump()

    @app.get("/v1/items/{item_id}", tags=["catalog"], responses=Problems)
    def get_item(item_id: ItemPath, caller: Shopper) -> dict:
        """An item's fused profile: attributes with confidence and evidence (seconds, transcript, on-screen text)."""
        _item_id(item_id)
        with backend.use() as live:
            profile = live.library.profile(item_id)
            if profile is None:
                raise Problem(404, "item_not_found", f"no item {item_id!r} in this catalog")
            data = profile.model_dump()
            data["best_second"] = round(best_second(live.library, profile), 2)
        data["video"] = media_link(settings, item_id, "video")
        data["thumbnail"] = media_link(settings, item_id, "thumbnail")
        return data

    @app.get("/v1/items/{item_id}/video", tags=["catalog"], response_class=FileResponse,
             responses={**Problems, 200: {"content": {"video/mp4": {}}}, 206: {"description": "a byte range"},
                        416: {"description": "range not satisfiable"}})
    def get_video(item_id: ItemPath, request: Request) -> FileResponse:
        """The item's video. Supports range requests (``Range: bytes=...``), so players can seek."""
        _item_id(item_id)
        check_media_access(request, settings, item_id)
        with backend.use() as live:
            path = video_path(live.library, item_id)
        return MediaFileResponse(path, media_type=video_type(path), headers={"Cache-Control": "private, max-age=3600"})

    app.add_api_route("/v1/items/{item_id}/video", get_video, methods=["HEAD"], include_in_schema=False)

    @app.get("/v1/items/{item_id}/thumbnail", tags=["catalog"], response_class=FileResponse,
             responses={**Problems, 200: {"content": {"image/jpeg": {}}}})
    def get_thumbnail(item_id: ItemPath, request: Request,
                      t: Annotated[float | None, Query(ge=0, le=86400, allow_inf_nan=False,
                                                       description="Second of the video (default: the best "
                                                                   "shot's keyframe).")] = None,
                      w: Annotated[int, Query(ge=32, le=1280, description="Width in pixels (rounded to 160, 320, "
                                                                          "480 or 640).")] = 320) -> FileResponse:
        """A JPEG frame of the item's video: its best shot's keyframe, or the frame at ``t``."""
        _item_id(item_id)
        check_media_access(request, settings, item_id)
        with backend.use() as live:
            try:
                path = thumbnails.get(live.library, item_id, t, w)
            except MediaError as exc:
                raise Problem(404, "no_thumbnail", f"no thumbnail can be made for {item_id!r}: {exc}") from exc
        return MediaFileResponse(path, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=86400"})

    # ------------------------------------------------------------------------------------------------ feedback
    @app.post("/v1/feedback", response_model=FeedbackOut, tags=["feedback"], responses=Problems)
    def feedback(body: FeedbackIn, caller: Identified) -> FeedbackOut:
        """A button in a session (like / reject / cart: the session adapts; "reject" brings a replacement), or an
        event from your platform for a user (view, click, play, buy ...), stored for training."""
        _item_id(body.item_id)
        if body.session_id is None and body.user_id is None:
            raise Problem(422, "no_subject", "give a session_id (buttons in a chat) or a user_id (events from your "
                          "platform)")
        with backend.use(write=True) as live:
            if live.library.profile(body.item_id) is None:
                raise Problem(404, "item_not_found", f"no item {body.item_id!r} in this catalog")
            if body.session_id is not None:
                user_id = session_user(live, caller, body.session_id, body.user_id)
                if body.event in ("like", "reject", "cart"):
                    result = live.engine.feedback(body.session_id, body.item_id, body.event, owner=user_id)
                    return FeedbackOut(recorded=user_id is not None, event=body.event, item_id=body.item_id,
                                       reply=result.reply, lang=result.lang, shown=result.shown, state=result.state,
                                       replacement=item_out(result.replacement) if result.replacement else None)
            else:
                user_id = body.user_id
                check_user(live, caller, user_id)
            if user_id is None:
                return FeedbackOut(recorded=False, event=body.event, item_id=body.item_id)
            live.library.record(user_id, body.item_id, body.event, value=body.value, session_id=body.session_id)
            return FeedbackOut(recorded=True, event=body.event, item_id=body.item_id)

    # ------------------------------------------------------------------------------------------------ users
    @app.get("/v1/users/{user_id}/recommendations", response_model=UserRecommendations, tags=["users"],
             responses=Problems)
    def user_recommendations(user_id: UserPath, caller: Identified,
                             k: Annotated[int, Query(ge=1, le=50)] = 10) -> UserRecommendations:
        """Items for a user outside a chat: from the trained user model when there is one, else popular items."""
        with backend.use() as live:
            events = list(live.library.interactions(user_id))
            owners.user(user_id, caller, has_data=bool(events), claim=True)
            history = [e.item_id for e in events if e.event in HISTORY_EVENTS]
            exclude = {e.item_id for e in events if e.event in NOT_AGAIN_EVENTS}
            ranked, source, note = _ranked_for_user(backend, live, user_id, history, exclude, k)
            items = []
            for item_id in ranked:
                profile = live.library.profile(item_id)
                if profile is None:
                    continue
                price = profile.value("price")
                items.append(item_out(TurnItem(id=profile.id, title=profile.display_title(), video=profile.video,
                                               price=float(price) if isinstance(price, (int, float)) else None,
                                               start=round(best_second(live.library, profile), 2))))
                if len(items) >= k:
                    break
        return UserRecommendations(user_id=user_id, source=source, note=note, items=items)

    @app.delete("/v1/users/{user_id}", response_model=UserErased, tags=["users"], responses=Problems)
    def erase_user(user_id: UserPath, caller: Identified) -> UserErased:
        """Erase everything stored about a user: interactions and sessions. The user id becomes free again."""
        with backend.use(write=True) as live:
            owners.user(user_id, caller, has_data=user_has_data(live, user_id), claim=False)
            sessions = owners.sessions_of_user(user_id)
            removed = live.library.erase_user(user_id)
            for sid in sessions:
                removed += int(live.library.delete_session(sid))
            owners.forget_user(user_id)
        log.info("user erased", extra={"removed_rows": removed, "sessions": len(sessions)})
        return UserErased(user_id=user_id, removed_rows=removed, sessions=len(sessions))

    # ------------------------------------------------------------------------------------------------ admin
    @app.post("/v1/ingest", status_code=202, response_model=IngestJobOut, tags=["admin"], responses=Problems)
    def start_ingest(body: IngestIn, caller: Admin, response: Response) -> dict:
        """Ingest a catalog that is on the server (admin key). Poll the job; the store stays readable meanwhile."""
        catalog = resolve_catalog(settings, body.catalog)
        job = jobs.submit(catalog, workers=body.workers, prune=body.prune, force=body.force)
        response.headers["Location"] = f"/v1/ingest/{job.id}"
        return job.to_dict()

    @app.get("/v1/ingest", response_model=list[IngestJobOut], tags=["admin"], responses=Problems)
    def list_ingest_jobs(caller: Admin) -> list[dict]:
        """The latest ingest jobs, newest first."""
        return [j.to_dict() for j in jobs.list()]

    @app.get("/v1/ingest/{job_id}", response_model=IngestJobOut, tags=["admin"], responses=Problems)
    def ingest_job(job_id: JobPath, caller: Admin) -> dict:
        """One ingest job: state (queued, running, finished, failed, cancelled), progress and the summary."""
        return jobs.get(job_id).to_dict()

    return app


def option_label(slot: str, option: str, lang: str) -> str:
    """An answer option as the shopper would say it (what the page shows and sends back when it is clicked)."""
    if slot == "price" or lang != "zh":
        return str(option)
    try:
        return value_text(slot, option, lang)
    except Exception:  # an option outside the vocabulary is shown as it is
        return str(option)


def _sse(event: str, data: Any) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False, default=str)}\n\n"


def _ranked_for_user(backend: Backend, live: Live, user_id: str, history: list[str], exclude: set[str],
                     k: int) -> tuple[list[str], str, str]:
    """Item ids for a user, best first, with where they came from."""
    model = backend.user_model
    if model is not None and hasattr(model, "recommend") and hasattr(model, "knows_user"):
        try:
            knows = model.knows_user(user_id) or bool(history)
            if knows:
                recs = model.recommend(user_id, k=k * 3 + len(exclude), exclude=exclude, history=history or None)
                ids = [i for i, _ in recs if i not in exclude]
                if ids:
                    return ids, "model", f"ranked by the trained user model ({type(model).__name__})"
        except VidrecError as exc:
            log.info("user model not used for a user: %s", exc)
    popular = [i for i in live.library.popular_items() if i not in exclude]
    why = "no trained user model in this store" if model is None else "the user model does not know this user yet"
    if popular:
        return popular, "popular", f"popular items ({why}; train one with `vidrec train`)"
    ids = [i for i in live.library.item_ids() if i not in exclude][: k * 3]
    return ids, "catalog", f"catalog order: no interactions recorded yet ({why})"
