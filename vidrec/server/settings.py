"""What the HTTP server is told: the store, the keys, who may call it from a browser, where catalogs may come from.

Every setting comes from a flag of `vidrec serve` or, when the flag is not given, from the environment:

    VIDREC_HOME            the store directory (or --store)
    VIDREC_ADMIN_KEY       the key for POST /v1/ingest and its job status; unset: admin endpoints are off
    VIDREC_API_KEYS        comma-separated shopper keys; unset: shopper endpoints are open (callers are told apart
                           by a client token, see auth.py)
    VIDREC_CORS_ORIGINS    comma-separated origins allowed to call the API from a browser ("*" for any)
    VIDREC_INGEST_ROOTS    folders (separated by ':') that catalogs given to POST /v1/ingest must lie in;
                           default: the folder the server was started in
    VIDREC_MAX_BODY_BYTES  the largest request body accepted (default 65536)
    VIDREC_URL_SECRET      signs the video and thumbnail links handed out when shopper keys are on (default: a
                           random secret per process, so links die with a restart)
    VIDREC_QUERY_CACHE     how many query embeddings to remember (default 4096; 0 turns the cache off)
    VIDREC_QUERY_MEMO      1 (default): each session remembers its own last few query embeddings, so buttons and
                           "more" do not embed them again (query_memo.py; never shared across sessions); 0: off
    VIDREC_QUERY_MEMO_IDLE how long a session's remembered query embeddings outlive its last query (default 60 s;
                           e.g. 300 or 5m)
    VIDREC_RATE_LIMIT      requests each caller may send: N per period, all N at once after a quiet spell,
                           then N per period on average. The default, 100 per 10 seconds, allows bursts of 100
                           and 10 a second; 600/minute allows the same rate in bursts of 600. 0 turns the
                           limit off. A caller is a shopper key or client token, else an address; the admin
                           key is not limited
    VIDREC_MAX_SESSIONS    live sessions one caller may hold (default 100; 0: no cap); one more is refused with
                           429 until the caller deletes one or one expires
    VIDREC_SESSION_TTL     sessions untouched this long are deleted: seconds, or with a unit (30m, 12h, 7d; the
                           default is 7d); 0 keeps them forever

A shopper key shared by a whole platform (every shopper behind one key) is one caller: raise VIDREC_RATE_LIMIT
and VIDREC_MAX_SESSIONS for it, or turn them off.
"""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from vidrec.config import store_dir
from vidrec.errors import ConfigError
from vidrec.server.query_memo import IDLE_S as MEMO_IDLE_S

MIN_KEY_CHARS = 16
DEFAULT_MAX_BODY_BYTES = 64 * 1024
MEDIA_LINK_TTL_S = 6 * 3600
DEFAULT_RATE_LIMIT = "100 per 10 seconds"
DEFAULT_MAX_SESSIONS = 100
DEFAULT_SESSION_TTL_S = 7 * 86400
_KEY_HINT = "make one with: python -c 'import secrets; print(secrets.token_urlsafe(32))'"
_SECONDS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_PERIODS = {"s": 1.0, "sec": 1.0, "second": 1.0, "m": 60.0, "min": 60.0, "minute": 60.0, "h": 3600.0,
            "hour": 3600.0, "d": 86400.0, "day": 86400.0}
_RATE = re.compile(r"^\s*(\d+)\s*(?:/|per)\s*(\d+)?\s*(seconds?|secs?|minutes?|mins?|hours?|days?|s|m|h|d)\s*$",
                   re.IGNORECASE)
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Rate:
    """``count`` requests per ``period_s`` seconds, all of them at once if the caller has been quiet."""

    count: int
    period_s: float

    @property
    def per_second(self) -> float:
        return self.count / self.period_s

    def __str__(self) -> str:
        for name in ("day", "hour", "minute", "second"):
            if self.period_s == _PERIODS[name]:
                return f"{self.count}/{name}"
        return f"{self.count} per {self.period_s:g} seconds"


def parse_rate(text: str) -> Rate | None:
    """``"300/minute"``, ``"20/second"``, ``"1000 per 10 minutes"``; ``"0"`` or ``"off"`` means no limit (None)."""
    text = (text or "").strip()
    if text.lower() in ("0", "off", "none"):
        return None
    m = _RATE.match(text)
    if m is None:
        raise ConfigError(f"VIDREC_RATE_LIMIT {text!r} is not a rate; write it like 300/minute, 20/second or "
                          "1000 per 10 minutes (0 turns the limit off)")
    count, times = int(m.group(1)), int(m.group(2) or 1)
    unit = m.group(3).lower()
    unit = _PERIODS.get(unit) or _PERIODS[unit[:-1]]  # a plural
    if count == 0:
        return None
    if times == 0:
        raise ConfigError(f"VIDREC_RATE_LIMIT {text!r} has a period of 0; write it like 300/minute")
    return Rate(count, unit * times)


def parse_duration(text: str, what: str) -> float:
    """Seconds from ``"3600"``, ``"30m"``, ``"12h"`` or ``"7d"``."""
    m = _DURATION.match(text or "")
    if m is None:
        raise ConfigError(f"{what} must be seconds or a number with s, m, h or d (e.g. 7d), not {text!r}")
    return float(m.group(1)) * _SECONDS[(m.group(2) or "s").lower()]


def _split(value: str | None, sep: str = ",") -> list[str]:
    return [v.strip() for v in (value or "").split(sep) if v.strip()]


@dataclass
class ServerSettings:
    """Settings of one server process. Build with :meth:`from_env`, which checks them."""

    store: Path
    admin_key: str | None = None
    api_keys: tuple[str, ...] = ()
    cors_origins: tuple[str, ...] = ()
    ingest_roots: tuple[Path, ...] = ()
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    url_secret: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)
    media_link_ttl_s: int = MEDIA_LINK_TTL_S
    page_size: int = 4
    ingest_workers: int | None = None
    query_cache_size: int = 4096
    query_memo: bool = True
    query_memo_idle_s: float = MEMO_IDLE_S
    rate_limit: str = DEFAULT_RATE_LIMIT
    max_sessions: int = DEFAULT_MAX_SESSIONS
    session_ttl_s: float = DEFAULT_SESSION_TTL_S
    rate: Rate | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.store = Path(self.store).expanduser()
        if self.admin_key is not None and len(self.admin_key) < MIN_KEY_CHARS:
            raise ConfigError(f"VIDREC_ADMIN_KEY is shorter than {MIN_KEY_CHARS} characters; {_KEY_HINT}")
        for key in self.api_keys:
            if len(key) < MIN_KEY_CHARS:
                raise ConfigError(f"a key in VIDREC_API_KEYS is shorter than {MIN_KEY_CHARS} characters; {_KEY_HINT}")
        if self.admin_key is not None and self.admin_key in self.api_keys:
            raise ConfigError("VIDREC_ADMIN_KEY must differ from every shopper key in VIDREC_API_KEYS")
        if not 1024 <= self.max_body_bytes <= 64 * 1024 * 1024:
            raise ConfigError(f"max body size {self.max_body_bytes} bytes is out of range; use 1 KiB to 64 MiB")
        if not 1 <= self.page_size <= 20:
            raise ConfigError(f"page size {self.page_size} is out of range; use 1 to 20 items per reply")
        self.rate = parse_rate(self.rate_limit)
        if self.max_sessions < 0:
            raise ConfigError(f"the cap on sessions per caller is {self.max_sessions}; use 0 (no cap) or more")
        if self.session_ttl_s < 0:
            raise ConfigError(f"the session lifetime is {self.session_ttl_s} s; use 0 (forever) or more")
        roots = self.ingest_roots or (Path.cwd(),)
        self.ingest_roots = tuple(Path(r).expanduser().resolve() for r in roots)

    @property
    def shopper_keys_required(self) -> bool:
        return bool(self.api_keys)

    @classmethod
    def from_env(cls, store: str | os.PathLike | None = None, *, env: dict[str, str] | None = None,
                 **overrides) -> ServerSettings:
        """Settings from flags (``store`` and ``overrides``, where not None) over the environment."""
        env = dict(os.environ if env is None else env)
        try:
            max_body = int(env.get("VIDREC_MAX_BODY_BYTES") or DEFAULT_MAX_BODY_BYTES)
        except ValueError as exc:
            raise ConfigError(f"VIDREC_MAX_BODY_BYTES must be a number of bytes, not "
                              f"{env['VIDREC_MAX_BODY_BYTES']!r}") from exc
        values = {
            "store": store_dir(store) if store is not None else store_dir(env.get("VIDREC_HOME") or None),
            "admin_key": env.get("VIDREC_ADMIN_KEY") or None,
            "api_keys": tuple(_split(env.get("VIDREC_API_KEYS"))),
            "cors_origins": tuple(_split(env.get("VIDREC_CORS_ORIGINS"))),
            "ingest_roots": tuple(Path(p) for p in _split(env.get("VIDREC_INGEST_ROOTS"), os.pathsep)),
            "max_body_bytes": max_body,
        }
        if env.get("VIDREC_QUERY_CACHE"):
            try:
                values["query_cache_size"] = max(0, int(env["VIDREC_QUERY_CACHE"]))
            except ValueError as exc:
                raise ConfigError(f"VIDREC_QUERY_CACHE must be a number of entries, not "
                                  f"{env['VIDREC_QUERY_CACHE']!r}") from exc
        if env.get("VIDREC_QUERY_MEMO"):
            if env["VIDREC_QUERY_MEMO"].strip() not in ("0", "1"):
                raise ConfigError(f"VIDREC_QUERY_MEMO must be 1 (on) or 0 (off), not {env['VIDREC_QUERY_MEMO']!r}")
            values["query_memo"] = env["VIDREC_QUERY_MEMO"].strip() == "1"
        if env.get("VIDREC_QUERY_MEMO_IDLE"):
            idle = parse_duration(env["VIDREC_QUERY_MEMO_IDLE"], "VIDREC_QUERY_MEMO_IDLE")
            if idle <= 0:
                raise ConfigError("VIDREC_QUERY_MEMO_IDLE must be more than 0 s (turn the memo off with "
                                  "VIDREC_QUERY_MEMO=0)")
            values["query_memo_idle_s"] = idle
        if env.get("VIDREC_RATE_LIMIT"):
            values["rate_limit"] = env["VIDREC_RATE_LIMIT"]
        if env.get("VIDREC_MAX_SESSIONS"):
            try:
                values["max_sessions"] = int(env["VIDREC_MAX_SESSIONS"])
            except ValueError as exc:
                raise ConfigError(f"VIDREC_MAX_SESSIONS must be a number of sessions, not "
                                  f"{env['VIDREC_MAX_SESSIONS']!r}") from exc
        if env.get("VIDREC_SESSION_TTL"):
            values["session_ttl_s"] = parse_duration(env["VIDREC_SESSION_TTL"], "VIDREC_SESSION_TTL")
        if env.get("VIDREC_URL_SECRET"):
            values["url_secret"] = env["VIDREC_URL_SECRET"].encode("utf-8")
        values.update({k: v for k, v in overrides.items() if v is not None and v != ()})
        return cls(**values)
