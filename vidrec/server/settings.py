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
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from vidrec.config import store_dir
from vidrec.errors import ConfigError

MIN_KEY_CHARS = 16
DEFAULT_MAX_BODY_BYTES = 64 * 1024
MEDIA_LINK_TTL_S = 6 * 3600
_KEY_HINT = "make one with: python -c 'import secrets; print(secrets.token_urlsafe(32))'"


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
        if env.get("VIDREC_URL_SECRET"):
            values["url_secret"] = env["VIDREC_URL_SECRET"].encode("utf-8")
        values.update({k: v for k, v in overrides.items() if v is not None and v != ()})
        return cls(**values)
