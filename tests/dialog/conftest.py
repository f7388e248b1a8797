"""Fixtures shared by the dialog tests."""

from __future__ import annotations

import pytest

from vidrec.dialog.engine import Engine
from vidrec.library import Library


@pytest.fixture(scope="module")
def engine(demo_store):
    """An engine over the demo store, sessions in memory, one per test module (a module's turns share it)."""
    lib = Library.open(demo_store, readonly=False, memory_sessions=True)
    yield Engine(lib)
    lib.close()
