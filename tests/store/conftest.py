"""Fixtures for the store tests: a real PostgreSQL server (started here, thrown away after the session)."""

from __future__ import annotations

import os

import pytest
from postgres_server import PostgresServer, find_bin_dir


def _unavailable(reason: str) -> None:
    """Skip on a developer's machine without PostgreSQL; in CI a missing server is a failure."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"{reason}; CI must run the PostgreSQL tests (scripts/setup.sh installs postgresql)")
    pytest.skip(f"{reason} (scripts/setup.sh installs it)")


@pytest.fixture(scope="session")
def postgres_server():
    try:
        import psycopg  # noqa: F401
    except ImportError:
        _unavailable("psycopg is not installed (the [postgres] extra)")
    bin_dir = find_bin_dir()
    if bin_dir is None:
        _unavailable("PostgreSQL's initdb/pg_ctl are not installed")
    try:
        server = PostgresServer(bin_dir).start()
    except KeyError:
        _unavailable("running as root but there is no `postgres` user to run the server as")
    yield server
    server.stop()


@pytest.fixture
def postgres_url(postgres_server) -> str:
    """A fresh, empty PostgreSQL database."""
    return postgres_server.new_database()
