"""`vidrec serve`: the HTTP API and the web chat page on one port."""

from __future__ import annotations

import logging
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    @app.command()
    def serve(
        host: Annotated[str, typer.Option("--host", help="Interface to listen on (0.0.0.0 for every one).")]
        = "127.0.0.1",
        port: Annotated[int, typer.Option("--port", min=1, max=65535, help="TCP port.")] = 8000,
        store: Annotated[str | None, typer.Option("--store", help="Store directory (default: $VIDREC_HOME or "
                                                                   "./vidrec-data).")] = None,
        cors_origin: Annotated[list[str] | None, typer.Option(
            "--cors-origin", help="An origin allowed to call the API from a browser (repeat; '*' for any). "
                                  "Default: $VIDREC_CORS_ORIGINS, else none.")] = None,
        ingest_root: Annotated[list[str] | None, typer.Option(
            "--ingest-root", help="A folder catalogs for POST /v1/ingest may come from (repeat). Default: "
                                  "$VIDREC_INGEST_ROOTS, else the current folder.")] = None,
        log_format: Annotated[str, typer.Option("--log-format", help="json (one object per line) or text.")]
        = "json",
    ) -> None:
        """Serve the API (OpenAPI at /docs) and the chat page at /.

        Keys come from the environment, never from flags: VIDREC_ADMIN_KEY enables POST /v1/ingest;
        VIDREC_API_KEYS (comma-separated) makes every shopper endpoint need one of them. Every key needs at
        least 16 characters and the admin key must differ from the shopper keys; make one with
        python -c 'import secrets; print(secrets.token_urlsafe(32))'.

        Limits, also from the environment: VIDREC_RATE_LIMIT (requests per caller, default "100 per 10
        seconds"; 0: off), VIDREC_MAX_SESSIONS (live sessions per caller, default 100; 0: no cap),
        VIDREC_SESSION_TTL (sessions untouched this long are deleted, default 7d; 0: kept forever).
        """
        from vidrec.errors import ConfigError
        from vidrec.server.app import create_app, run_server
        from vidrec.server.discovery import local_url
        from vidrec.server.logs import configure_logging
        from vidrec.server.settings import ServerSettings

        if log_format not in ("json", "text"):
            raise ConfigError(f"--log-format must be json or text, not {log_format!r}")
        configure_logging(logging.INFO, json_lines=log_format == "json")
        settings = ServerSettings.from_env(store, cors_origins=tuple(cors_origin or ()),
                                           ingest_roots=tuple(ingest_root or ()))
        logging.getLogger("vidrec.server").info(f"vidrec serving http://{host}:{port}/ (store {settings.store})")
        # keep idle connections longer than the 60 s of common proxies and browsers, so a reused connection is
        # not closed by the server just as a request goes out on it
        # announce_url: `vidrec search --store` on this machine finds the server by itself (server/discovery.py)
        run_server(create_app(settings, announce_url=local_url(host, port)), host, port, timeout_keep_alive=65,
                   timeout_graceful_shutdown=10, server_header=False)
