"""Shared fixtures: the shipped demo catalog, ../shared data when present, a demo store ingested once, and a real
PostgreSQL server (started here, thrown away after the session) for the metadata backends."""

import os
from pathlib import Path

import pytest
from postgres_server import PostgresServer, find_bin_dir

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "examples" / "demo"
SHARED = REPO.parent / "shared" / "data"

pytest_plugins = ["skip_policy", "pytester"]

# Derived model files (joined whisper weights, exported ONNX) are built once per machine, not per test run.
os.environ.setdefault("VIDREC_CACHE", str(Path.home() / ".cache" / "vidrec"))


@pytest.fixture(scope="session")
def demo_dir() -> Path:
    if not (DEMO / "catalog.csv").exists():
        pytest.fail("examples/demo/catalog.csv is missing: the repo must ship the demo catalog")
    return DEMO


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED.exists():
        pytest.skip("../shared/data is not here (optional extra checks)")
    return SHARED


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory, demo_dir) -> Path:
    """The whole demo catalog ingested once (real models), shared read-mostly by dialog, search and server tests.

    Speech recognition is left out here to keep the suite fast (it is most of the ingest time); the ingest tests
    run it on their own subset of the same videos.
    """
    from vidrec.config import IngestSettings
    from vidrec.ingest import ingest

    store = tmp_path_factory.mktemp("demo-store") / "store"
    summary = ingest(demo_dir / "catalog.csv", store, workers=1, settings=IngestSettings(speech=False))
    assert not summary.failed and not summary.row_errors, summary.failed
    return store


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
