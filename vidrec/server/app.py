"""The HTTP API and the web page. ``create_app(settings)`` builds the FastAPI app; ``vidrec serve`` runs it.
The routes live in vidrec/server/routes/, one module per resource; this module assembles them.

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

Every caller has a rate limit (ratelimit.py), a cap on the sessions it holds, and sessions untouched for a while
expire (expiry.py); settings.py says how to set them.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline

from vidrec.server import discovery, memwatch, problems
from vidrec.server.backend import Backend
from vidrec.server.expiry import expire_sessions, sweep_interval_s
from vidrec.server.jobs import IngestJobs
from vidrec.server.media import Thumbnails
from vidrec.server.middleware import RequestGuard
from vidrec.server.owners import FILE as OWNERS_FILE
from vidrec.server.owners import Ownership
from vidrec.server.ratelimit import RateLimit
from vidrec.server.routes import ROUTERS
from vidrec.server.routes.page import WEB
from vidrec.server.routes.train import retrain_interval_s, retrain_once
from vidrec.server.settings import ServerSettings

log = logging.getLogger("vidrec.server")

WORKER_THREADS = 12


def http_options() -> dict[str, str]:
    """uvicorn's event loop and HTTP parser: uvloop and httptools (both in C; dependencies of vidrec where they
    build) when importable, else asyncio's loop and h11 (pure Python). Named, not left to uvicorn's "auto", so the
    log says which ones serve. With h11 and asyncio a card's thumbnail request cost 1.5x the server CPU, and the
    parsing and writing in Python holds the GIL the turns need (BENCHMARKS.md, "A server turn's CPU ...")."""
    return {"loop": "uvloop" if importlib.util.find_spec("uvloop") else "asyncio",
            "http": "httptools" if importlib.util.find_spec("httptools") else "h11"}


def run_server(app: FastAPI, host: str, port: int, **uvicorn_options) -> None:
    """Run ``app`` with uvicorn on ``host:port`` (``vidrec serve`` and the tests' server), with `http_options`;
    the access log is the app's own (middleware.py), uvicorn's is off."""
    import uvicorn

    options = http_options()
    log.info("http server", extra=options)
    uvicorn.run(app, host=host, port=port, log_config=None, access_log=False, **options, **uvicorn_options)


def create_app(settings: ServerSettings | None = None, *, text_encoder=None,
               announce_url: str | None = None) -> FastAPI:
    """The app over ``settings.store``. ``text_encoder`` replaces the bundled one (tests, other models).
    ``announce_url``: where this server listens; written into the store while it serves, so that `vidrec search
    --store` on this machine asks it (vidrec/server/discovery.py)."""
    settings = settings or ServerSettings.from_env()
    arenas = memwatch.arena_limit()  # before any thread starts: a bad value stops the server here
    if arenas:
        memwatch.limit_arenas(arenas)
    backend = Backend(settings, text_encoder=text_encoder)
    owners = Ownership(settings.store / OWNERS_FILE)
    thumbnails = Thumbnails(settings.store / "thumbnails")
    jobs = IngestJobs(settings, backend)
    retrain_s = retrain_interval_s()  # a bad value stops the server here, with what to write instead
    trim_s = memwatch.trim_interval_s()  # the same

    async def sweep_sessions() -> None:
        """Delete expired sessions now and then for as long as the server runs (the first sweep at start-up)."""
        while True:
            try:
                removed = await run_in_threadpool(expire_sessions, backend, owners, settings.session_ttl_s)
                if removed:
                    log.info("expired sessions deleted", extra={"sessions": removed})
            except Exception as exc:  # a failed sweep must not stop the server; the next one tries again
                log.warning("deleting expired sessions failed: %s", exc)
            await asyncio.sleep(sweep_interval_s(settings.session_ttl_s))

    async def retrain_every(interval_s: float) -> None:
        """VIDREC_RETRAIN_INTERVAL: retrain the user model now and then; the next request ranks with it."""
        while True:
            await asyncio.sleep(interval_s)
            await run_in_threadpool(retrain_once, settings.store)

    async def trim_every(interval_s: float) -> None:
        """VIDREC_MALLOC_TRIM: give the memory malloc holds free back to the system now and then (memwatch.py)."""
        while True:
            await asyncio.sleep(interval_s)
            await run_in_threadpool(memwatch.trim_malloc)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Turns are CPU-bound, and every worker thread keeps its own SQLite connection and page cache: a bounded
        # pool keeps memory flat under load instead of growing with anyio's default of 40 threads.
        anyio.to_thread.current_default_thread_limiter().total_tokens = WORKER_THREADS
        await run_in_threadpool(backend.open)
        watch = memwatch.from_env()  # VIDREC_MEMWATCH: where the memory goes, for finding leaks (memwatch.py)
        if watch is not None:
            _register_sizes(backend, app)
            watch.start()
        loop = type(asyncio.get_running_loop()).__module__.split(".")[0]  # "uvloop" or "asyncio"
        log.info("serving", extra={"store": str(settings.store), **backend.status(), "loop": loop,
                                   "shopper_keys": settings.shopper_keys_required,
                                   "admin": bool(settings.admin_key),
                                   "rate_limit": str(settings.rate or "off"), "max_sessions": settings.max_sessions,
                                   "session_ttl_s": settings.session_ttl_s})
        sweeper = asyncio.create_task(sweep_sessions()) if settings.session_ttl_s > 0 else None
        retrainer = asyncio.create_task(retrain_every(retrain_s)) if retrain_s else None
        trimmer = asyncio.create_task(trim_every(trim_s)) if trim_s else None
        if announce_url:
            discovery.announce(settings.store, announce_url)
        try:
            yield
        finally:
            if announce_url:
                discovery.withdraw(settings.store)
            for task in (sweeper, retrainer, trimmer):
                if task is not None:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
            await run_in_threadpool(jobs.stop)
            await run_in_threadpool(backend.close)
            owners.close()
            if watch is not None:
                await run_in_threadpool(watch.stop)

    # FastAPIOffline: /docs and /redoc load Swagger UI and ReDoc from files shipped in the package, not a CDN
    app = FastAPIOffline(title="vidrec", version="0.1.0", lifespan=lifespan,
                         description="A conversational recommender that watches product videos. Errors are JSON: "
                                     "{error, message, request_id}.")
    # what the routes' dependencies (vidrec/server/dependencies.py) hand them
    app.state.backend, app.state.owners, app.state.jobs, app.state.settings = backend, owners, jobs, settings
    app.state.thumbnails = thumbnails
    problems.install(app)
    # innermost first: the rate limit answers inside CORS (a page on another origin can read its 429) and inside
    # the request guard (request id, security headers, the access log)
    if settings.rate is not None:
        app.add_middleware(RateLimit, rate=settings.rate, admin_key=settings.admin_key)
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=list(settings.cors_origins), allow_credentials=False,
                           allow_methods=["GET", "POST", "DELETE", "OPTIONS"],
                           allow_headers=["Authorization", "Content-Type", "X-API-Key", "X-Request-ID"],
                           expose_headers=["X-Request-ID", "Retry-After", "Content-Range"], max_age=600)
    app.add_middleware(RequestGuard, max_body_bytes=settings.max_body_bytes)
    app.mount("/static", StaticFiles(directory=WEB), name="static")
    for router in ROUTERS:
        app.include_router(router)
    return app


def _register_sizes(backend: Backend, app: FastAPI) -> None:
    """The in-memory structures keyed by session, caller, item or query, reported by memwatch."""
    if backend.query_memo is not None:
        memwatch.register("query_memo.sessions", lambda: len(backend.query_memo._memo))
    if backend._global_cache is not None:
        memwatch.register("query_cache.entries", lambda: backend._global_cache.stats()["entries"])
    memwatch.register("library.profiles", lambda: len(backend.library._profiles or ()) if backend.library else 0)
    memwatch.register("engine.session_locks", lambda: len(backend.engine.sessions) if backend.engine else 0)
    memwatch.register("thumbnails.locks", lambda: len(app.state.thumbnails._locks))
    memwatch.register("store.connections", lambda: backend.library.store.metadata.open_connections
                      if backend.library else 0)
