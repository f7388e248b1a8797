"""Errors as HTTP answers: one JSON shape, a message that says what to do, never a traceback.

    {"error": "not_found", "message": "no item 'x'; ...", "request_id": "..."}

``VidrecError``s map by kind (NotFoundError 404, ConflictError 409, InputError 422, ConfigError and CatalogError 400, MediaError
422, StoreError and ModelUnavailableError 503); anything else is logged with its traceback and answered 500 with
the request id only.
"""

from __future__ import annotations

import functools
import json
import logging
import re
from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Route, compile_path

from vidrec.errors import (
    CatalogError,
    ConfigError,
    ConflictError,
    InputError,
    MediaError,
    ModelUnavailableError,
    NotFoundError,
    StoreError,
    VidrecError,
)
from vidrec.server.middleware import security_headers

log = logging.getLogger("vidrec.server")

RETRY_AFTER_S = 30
_METHOD_ORDER = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

_BY_KIND: list[tuple[type[VidrecError], int, str]] = [
    (NotFoundError, 404, "not_found"),
    (ConflictError, 409, "conflict"),
    (CatalogError, 400, "bad_catalog"),
    (ConfigError, 400, "bad_config"),
    (InputError, 422, "bad_input"),
    (MediaError, 422, "bad_media"),
    (StoreError, 503, "store_unavailable"),
    (ModelUnavailableError, 503, "model_unavailable"),
]


class Problem(Exception):
    """An answer other than success, raised anywhere below a route."""

    def __init__(self, status: int, code: str, message: str, *, headers: dict[str, str] | None = None,
                 details: Any = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}
        self.details = details


def problem_body(status: int, code: str, message: str, request: Request | None = None, details: Any = None) -> dict:
    body: dict[str, Any] = {"error": code, "message": message}
    if details is not None:
        body["details"] = details
    rid = getattr(request.state, "request_id", None) if request is not None else None
    if rid:
        body["request_id"] = rid
    return body


def problem_response(status: int, code: str, message: str, request: Request | None = None,
                     headers: dict[str, str] | None = None, details: Any = None) -> JSONResponse:
    return JSONResponse(problem_body(status, code, message, request, details), status_code=status, headers=headers)


def from_vidrec_error(exc: VidrecError) -> Problem:
    for kind, status, code in _BY_KIND:
        if isinstance(exc, kind):
            headers = {"Retry-After": str(RETRY_AFTER_S)} if status == 503 else None
            return Problem(status, code, str(exc), headers=headers)
    return Problem(400, "bad_request", str(exc))


@functools.cache
def _pattern_problems() -> dict[str, str]:
    from vidrec.server.schemas import ITEM_ID_PATTERN, NOT_BLANK_PATTERN, SESSION_ID_PATTERN, USER_ID_PATTERN

    return {NOT_BLANK_PATTERN: "text is blank; say what you are looking for",
            ITEM_ID_PATTERN: "not an item id: 1-128 characters, none of / \\ # ? % or a control character, "
                             "and not '.' or '..'",
            SESSION_ID_PATTERN: "not a session id: use the session_id POST /v1/sessions gave you",
            USER_ID_PATTERN: "not a user id: 1-128 letters, digits and _ . : @ -"}


def _validation_details(errors: list[dict]) -> list[dict]:
    """Pydantic's errors without the echoed input (it may be huge or private); a pattern said in words."""
    out = []
    for e in errors[:20]:
        loc = [str(p) for p in e.get("loc", ())]
        problem = str(e.get("msg", "invalid"))
        if e.get("type") == "string_pattern_mismatch":
            problem = _pattern_problems().get((e.get("ctx") or {}).get("pattern"), problem)
        out.append({"where": ".".join(loc), "problem": problem})
    return out


def allowed_methods(app: FastAPI, path: str) -> list[str]:
    """The methods some route of ``app`` answers on ``path`` (for a 405's ``Allow``). Starlette's own 405 names
    only the first route whose path matched, though others on the same path take other methods."""
    found: set[str] = set()
    for regex, methods in _route_methods(app.router.routes, ""):
        if regex.match(path):
            found |= methods
    return sorted(found, key=lambda m: (_METHOD_ORDER.index(m) if m in _METHOD_ORDER else len(_METHOD_ORDER), m))



def _route_methods(routes: list, prefix: str) -> Iterator[tuple[re.Pattern, set[str]]]:
    for route in routes:
        included = getattr(route, "original_router", None)  # FastAPI wraps an included router's routes
        if included is not None:
            context = getattr(route, "include_context", None)
            yield from _route_methods(included.routes, prefix + (getattr(context, "prefix", "") or ""))
        elif isinstance(route, Route | APIRoute) and route.methods:
            regex, _, _ = compile_path(prefix + route.path)
            yield regex, set(route.methods)


def install(app: FastAPI) -> None:
    """Register the handlers that turn every failure into the JSON shape above."""

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_response(exc.status, exc.code, exc.message, request, exc.headers, exc.details)

    @app.exception_handler(VidrecError)
    async def _vidrec(request: Request, exc: VidrecError) -> JSONResponse:
        p = from_vidrec_error(exc)
        if p.status >= 500:
            log.warning("%s: %s", p.code, exc)
        return problem_response(p.status, p.code, p.message, request, p.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = list(exc.errors())
        if any(e.get("type") == "json_invalid" for e in errors):
            return problem_response(400, "malformed_json", "the body is not valid JSON; send a JSON object with "
                                    "Content-Type: application/json", request)
        details = _validation_details(errors)
        first = details[0] if details else {"where": "request", "problem": "invalid"}
        return problem_response(422, "invalid_request", f"{first['where']}: {first['problem']}", request,
                                details=details)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        messages = {404: "no such endpoint; see /docs for the API", 405: "method not allowed on this endpoint; see "
                    "/docs"}
        message = exc.detail if isinstance(exc.detail, str) and exc.status_code not in messages else \
            messages.get(exc.status_code, str(exc.detail))
        code = getattr(exc, "code", None) or {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code,
                                                                                            "http_error")
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            allowed = allowed_methods(request.app, request.url.path)
            if allowed:
                headers["Allow"] = ", ".join(allowed)
        return problem_response(exc.status_code, code, message, request, headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
        # answered outside the middleware (Starlette's error middleware is the outermost), so it adds these itself
        return problem_response(500, "internal_error", "something went wrong on the server; it was logged with "
                                "this request id", request, security_headers(request.url.path))


def sse_error(p: Problem) -> str:
    return f"event: error\ndata: {json.dumps({'error': p.code, 'message': p.message}, ensure_ascii=False)}\n\n"
