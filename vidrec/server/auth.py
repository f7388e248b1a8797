"""Who is calling: the admin, a holder of a shopper key, a client with its own token, or nobody in particular.

Credentials travel as ``Authorization: Bearer <secret>`` (or ``X-API-Key: <secret>``). Secrets are compared in
constant time and never logged; a caller is known by a short hash of its secret.

- The admin key (``VIDREC_ADMIN_KEY``) opens the admin endpoints and may read or erase any user's data.
- With shopper keys configured (``VIDREC_API_KEYS``) every shopper endpoint needs one; the key is the caller.
- Without shopper keys the API is open, and a *client token* tells callers apart: a random secret the client
  keeps (``POST /v1/sessions`` hands a fresh one to a caller that has none). Sessions and user ids belong to the
  caller that made them, so one client cannot read or write another's; a token a client chose itself must be
  as hard to guess as one the server makes: at least 22 characters of a URL-safe alphabet (128 bits when random)
  and not a run of a few characters repeated.

Video and thumbnail links cannot carry headers (``<video src>``), so when shopper keys are on, the links the API
hands out are signed (``?exp=...&sig=...``: HMAC-SHA256 over the item id and the expiry).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote

from fastapi import Request

from vidrec.server.problems import Problem
from vidrec.server.settings import ServerSettings

CallerKind = Literal["admin", "key", "client", "anonymous"]
MIN_TOKEN_CHARS = 22  # random URL-safe characters carry 6 bits each: 22 of them are 132 bits
MIN_TOKEN_DISTINCT = 8  # a random token of 22+ characters has ~18; "aaaa..." or "abab..." is not random
_TOKEN = re.compile(rf"^[A-Za-z0-9._~+/=-]{{{MIN_TOKEN_CHARS},256}}$")


@dataclass(frozen=True)
class Caller:
    """The party behind a request. ``id`` is stable per secret and safe to store and log."""

    id: str
    kind: CallerKind

    @property
    def is_admin(self) -> bool:
        return self.kind == "admin"

    @property
    def anonymous(self) -> bool:
        return self.kind == "anonymous"


ANONYMOUS = Caller(id="anonymous", kind="anonymous")


def caller_for_secret(secret: str, kind: CallerKind) -> Caller:
    digest = hashlib.sha256(secret.encode("utf-8")).hexdigest()[:20]
    return Caller(id=f"{kind}:{digest}", kind=kind)


def presented_secret(request: Request) -> str | None:
    auth = request.headers.get("authorization")
    if auth:
        scheme, _, value = auth.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise Problem(401, "bad_credentials", "send credentials as 'Authorization: Bearer <key or token>'",
                          headers={"WWW-Authenticate": "Bearer"})
        return value.strip()
    key = request.headers.get("x-api-key")
    return key.strip() if key and key.strip() else None


def _equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


def identify(request: Request, settings: ServerSettings) -> Caller:
    """The caller of a shopper endpoint (anonymous only on an open server). Raises a 401 Problem otherwise."""
    secret = presented_secret(request)
    if secret is not None and settings.admin_key and _equal(secret, settings.admin_key):
        return Caller(id="admin", kind="admin")
    if settings.shopper_keys_required:
        if secret is None:
            raise Problem(401, "key_required", "this server needs a shopper key: send 'Authorization: Bearer <key>' "
                          "(ask the operator for one)", headers={"WWW-Authenticate": "Bearer"})
        if any(_equal(secret, k) for k in settings.api_keys):
            return caller_for_secret(secret, "key")
        raise Problem(401, "key_rejected", "this key is not accepted here; check it or ask the operator for a new one",
                      headers={"WWW-Authenticate": "Bearer"})
    if secret is None:
        return ANONYMOUS
    if not token_looks_random(secret):
        raise Problem(401, "bad_token", f"a client token is {MIN_TOKEN_CHARS}-256 random characters (letters, "
                      "digits and ._~+/=-), as hard to guess as a password; POST /v1/sessions without one to get "
                      "a fresh token", headers={"WWW-Authenticate": "Bearer"})
    return caller_for_secret(secret, "client")


def token_looks_random(secret: str) -> bool:
    """Whether a client token is long enough and varied enough to be a secret nobody else will guess."""
    return bool(_TOKEN.match(secret)) and len(set(secret)) >= MIN_TOKEN_DISTINCT


def require_identified(caller: Caller) -> Caller:
    if caller.anonymous:
        raise Problem(401, "token_required", "this needs your client token: send 'Authorization: Bearer <token>' "
                      "with the client_token that POST /v1/sessions gave you", headers={"WWW-Authenticate": "Bearer"})
    return caller


def require_admin(request: Request, settings: ServerSettings) -> Caller:
    if not settings.admin_key:
        raise Problem(403, "admin_disabled", "admin endpoints are off on this server; start it with "
                      "VIDREC_ADMIN_KEY set to enable them")
    secret = presented_secret(request)
    if secret is None:
        raise Problem(401, "admin_key_required", "send the admin key as 'Authorization: Bearer <VIDREC_ADMIN_KEY>'",
                      headers={"WWW-Authenticate": "Bearer"})
    if not _equal(secret, settings.admin_key):
        raise Problem(403, "admin_key_rejected", "this is not the admin key; admin endpoints need VIDREC_ADMIN_KEY")
    return Caller(id="admin", kind="admin")


# ---------------------------------------------------------------------------------------------- signed media links
def _signature(settings: ServerSettings, item_id: str, expires: int) -> str:
    mac = hmac.new(settings.url_secret, f"{item_id}\n{expires}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:18]).decode("ascii")


def media_link(settings: ServerSettings, item_id: str, what: Literal["video", "thumbnail"],
               extra: str = "", now: float | None = None) -> str:
    """The link to an item's video or thumbnail; signed when shopper keys are on."""
    url = f"/v1/items/{quote(item_id, safe='')}/{what}"
    params = [extra] if extra else []
    if settings.shopper_keys_required:
        expires = int((now or time.time()) + settings.media_link_ttl_s)
        params += [f"exp={expires}", f"sig={_signature(settings, item_id, expires)}"]
    return url + ("?" + "&".join(params) if params else "")


def check_media_access(request: Request, settings: ServerSettings, item_id: str) -> None:
    """Media is open on an open server; with shopper keys it needs a key or a valid, unexpired signature."""
    if not settings.shopper_keys_required:
        return
    exp, sig = request.query_params.get("exp"), request.query_params.get("sig")
    if exp is not None and sig is not None:
        if not exp.isdigit() or int(exp) < time.time():
            raise Problem(403, "link_expired", "this media link has expired; ask the API for the item again")
        if not _equal(sig, _signature(settings, item_id, int(exp))):
            raise Problem(403, "bad_signature", "this media link's signature is wrong; use the link the API gave")
        return
    identify(request, settings)
