"""One exception hierarchy. Every message says what went wrong and what to do about it."""

from __future__ import annotations


class VidrecError(Exception):
    """Base of every error vidrec raises on purpose. The CLI prints it without a traceback."""

    exit_code = 1


class ConfigError(VidrecError):
    """Bad settings, missing store, wrong flag combination."""

    exit_code = 2


class CatalogError(VidrecError):
    """A catalog file or row is invalid. Carries the file and line when known."""

    exit_code = 2

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None):
        self.path = path
        self.line = line
        where = ""
        if path is not None:
            where = f"{path}:{line}: " if line is not None else f"{path}: "
        super().__init__(f"{where}{message}")


class MediaError(VidrecError):
    """A video cannot be read or decoded (corrupt, truncated, no video stream, unreadable path)."""

    exit_code = 3


class ModelUnavailableError(VidrecError):
    """A model's weights or its runtime package is missing. The message says what to install."""

    exit_code = 4


class StoreError(VidrecError):
    """The store is missing, locked, corrupt or of an incompatible version."""

    exit_code = 5


class StoreBusyError(StoreError):
    """Another process holds the store's writer lock (an ingest, or a server that records sessions)."""


class NotFoundError(VidrecError):
    """An item, user or session id that does not exist."""

    exit_code = 6


class ConflictError(VidrecError):
    """A request that does not fit the state it is about (a button on a card its session never showed)."""

    exit_code = 2


class InputError(VidrecError):
    """A request that cannot be served as given (too long, malformed)."""

    exit_code = 2
