"""Per-caller rate limits: a token bucket per caller, checked before a request reaches its route.

A rate such as ``100 per 10 seconds`` lets a caller send up to 100 requests at once and then one every 0.1 s on
average (the bucket holds 100 and refills at 100 per 10 seconds). A caller is the key or client token it sends (by a hash,
never the secret itself), else its address; the admin key is not limited, and neither are the health checks.
Over the limit, the answer is 429 with ``Retry-After`` (whole seconds until the next request would pass) and the
usual JSON error body.

This is a small bucket of its own rather than the ``limits`` package because that package is not installed in
the project's environment, and one process needs nothing more than a dict of buckets in memory.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import time
from collections import OrderedDict
from collections.abc import Callable

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from vidrec.server.auth import presented_secret
from vidrec.server.problems import Problem
from vidrec.server.settings import Rate

UNLIMITED_PATHS = frozenset({"/healthz", "/readyz"})  # probes of a load balancer or orchestrator
MAX_CALLERS = 100_000  # buckets kept; beyond it the least recently seen caller's bucket is dropped (it was full)


class RateLimiter:
    """Token buckets by caller key. Used from the event loop only (no awaits inside :meth:`wait_s`), so it needs
    no lock."""

    def __init__(self, rate: Rate, *, max_callers: int = MAX_CALLERS, clock: Callable[[], float] = time.monotonic):
        self.rate = rate
        self.max_callers = max_callers
        self.clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key -> (tokens, when), oldest first

    def wait_s(self, key: str) -> float:
        """Take one request from ``key``'s bucket: 0 if it may go now, else the seconds until it may."""
        now = self.clock()
        tokens, when = self._buckets.pop(key, (float(self.rate.count), now))
        tokens = min(float(self.rate.count), tokens + (now - when) * self.rate.per_second)
        wait = 0.0
        if tokens >= 1.0:
            tokens -= 1.0
        else:
            wait = (1.0 - tokens) / self.rate.per_second
        self._buckets[key] = (tokens, now)
        self._forget_idle(now)
        return wait

    def _forget_idle(self, now: float) -> None:
        """Drop buckets that have refilled (a new one starts full, so nothing is lost), least recent first."""
        while self._buckets:
            key, (tokens, when) = next(iter(self._buckets.items()))
            full = tokens + (now - when) * self.rate.per_second >= self.rate.count
            if not full and len(self._buckets) <= self.max_callers:
                return
            del self._buckets[key]

    def __len__(self) -> int:
        return len(self._buckets)


def caller_key(scope: Scope, admin_key: str | None) -> str | None:
    """Whose bucket a request takes from: a hash of its key or token, else its address; None for the admin."""
    try:
        secret = presented_secret(Request(scope))
    except Problem:  # malformed credentials: answered 401 later; counted against the address meanwhile
        secret = None
    if secret is not None:
        if admin_key and hmac.compare_digest(secret.encode("utf-8"), admin_key.encode("utf-8")):
            return None
        return "secret:" + hashlib.sha256(secret.encode("utf-8")).hexdigest()[:24]
    client = scope.get("client")
    return f"address:{client[0] if client else 'unknown'}"


class RateLimit:
    """Pure ASGI middleware answering 429 to callers over their rate (inside RequestGuard, which adds the request
    id and the security headers, and inside CORS, so a page on another origin can read the answer)."""

    def __init__(self, app: ASGIApp, rate: Rate, admin_key: str | None = None):
        self.app = app
        self.limiter = RateLimiter(rate)
        self.admin_key = admin_key

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") in UNLIMITED_PATHS:
            await self.app(scope, receive, send)
            return
        key = caller_key(scope, self.admin_key)
        wait = self.limiter.wait_s(key) if key is not None else 0.0
        if wait <= 0:
            await self.app(scope, receive, send)
            return
        retry = max(1, math.ceil(wait))
        body = {"error": "rate_limited", "message": f"too many requests: this server takes {self.limiter.rate} "
                f"from each caller; try again in {retry} s"}
        rid = scope.get("state", {}).get("request_id")
        if rid:
            body["request_id"] = rid
        data = json.dumps(body).encode("utf-8")
        await send({"type": "http.response.start", "status": 429,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode()),
                                (b"retry-after", str(retry).encode())]})
        await send({"type": "http.response.body", "body": data})
