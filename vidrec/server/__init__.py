"""The HTTP API and the web chat page: ``create_app(ServerSettings.from_env(store))``, or ``vidrec serve``."""

from __future__ import annotations

__all__ = ["ServerSettings", "create_app"]


def __getattr__(name: str):  # imported lazily: the ingest job's child process needs none of it
    if name == "create_app":
        from vidrec.server.app import create_app

        return create_app
    if name == "ServerSettings":
        from vidrec.server.settings import ServerSettings

        return ServerSettings
    raise AttributeError(name)
