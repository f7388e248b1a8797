"""Around every request: a request id, the body size limit, security headers, and the request's log line.

Bodies over the limit are refused with 413 before they are read (from Content-Length) or as soon as the bytes
received pass the limit (chunked uploads), so a huge body never sits in memory.

Every response says ``X-Content-Type-Options: nosniff`` (a browser must not take a JSON error or a video for
HTML) and carries a Content-Security-Policy unless it set its own (the chat page does): API responses may load
nothing but their own pictures and videos; the API docs (Swagger UI and ReDoc, served from this server) need the
inline start-up script and styles FastAPI writes into them.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

access = logging.getLogger("vidrec.server.access")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")

API_CSP = ("default-src 'none'; img-src 'self'; media-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
           "form-action 'none'")
DOCS_CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; worker-src 'self' blob:; frame-ancestors 'none'; base-uri 'none'; "
            "form-action 'none'")
DOCS_PATHS = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc"})


def security_headers(path: str) -> dict[str, str]:
    """The headers every response to ``path`` carries (for responses sent around this middleware, e.g. a 500)."""
    return {"X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": DOCS_CSP if path in DOCS_PATHS else API_CSP}


class BodyTooLarge(HTTPException):
    """An HTTPException, so FastAPI's body parsing passes it on instead of turning it into a 400."""

    code = "body_too_large"

    def __init__(self, limit: int):
        super().__init__(413, f"the request body is larger than {limit} bytes; send less (messages are at most "
                         f"2000 characters)")


class RequestGuard:
    """Pure ASGI middleware (it must not buffer streaming responses)."""

    def __init__(self, app: ASGIApp, max_body_bytes: int):
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        rid = headers.get("x-request-id", "")
        if not _REQUEST_ID.match(rid):
            rid = uuid.uuid4().hex
        state = scope.setdefault("state", {})
        state["request_id"] = rid
        started = time.perf_counter()
        status = 0
        limit = self.max_body_bytes
        extra = [(k.lower().encode("latin-1"), v.encode("latin-1"))
                 for k, v in security_headers(scope.get("path", "")).items()]

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                present = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []), (b"x-request-id", rid.encode("ascii")),
                                      *((k, v) for k, v in extra if k not in present)]
            await send(message)

        try:
            length = headers.get("content-length")
            if length is not None and (not length.isdigit() or int(length) > limit):
                await self._refuse(send_with_id, rid, limit)
                return
            received = 0

            async def limited_receive() -> Message:
                nonlocal received
                message = await receive()
                if message["type"] == "http.request":
                    received += len(message.get("body", b""))
                    if received > limit:
                        raise BodyTooLarge(limit)
                return message

            await self.app(scope, limited_receive, send_with_id)
        finally:
            ms = round((time.perf_counter() - started) * 1000, 1)
            level = logging.WARNING if status >= 500 or status == 0 else logging.INFO
            access.log(level, "request", extra={"request_id": rid, "method": scope.get("method"),
                                                "path": scope.get("path"), "status": status, "ms": ms,
                                                "caller": state.get("caller")})

    @staticmethod
    async def _refuse(send: Send, rid: str, limit: int) -> None:
        p = BodyTooLarge(limit)
        body = json.dumps({"error": p.code, "message": p.detail, "request_id": rid}).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})
