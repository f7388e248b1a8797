import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "examples" / "demo"
SHARED = REPO.parent / "shared" / "data"

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
