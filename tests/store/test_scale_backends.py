"""The same ingest and search code paths on PostgreSQL metadata and Milvus (Lite) vectors, through the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from vidrec.catalog import sample_catalog

pytest.importorskip("milvus_lite", reason="the Milvus backend needs the [milvus] extra")
pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]


def vidrec(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("VIDREC_METADATA_URL", "VIDREC_VECTORS_URL")}
    env["PYTHONPATH"] = str(REPO)
    return subprocess.run([sys.executable, "-m", "vidrec.cli", *args], capture_output=True, text=True, env=env)


def test_ingest_and_search_on_postgresql_and_milvus(tmp_path, demo_dir, postgres_url):
    catalog, rows = sample_catalog(demo_dir / "catalog.csv", tmp_path / "catalog", 3)
    store = tmp_path / "store"
    vectors = tmp_path / "vectors.db"
    first = vidrec("ingest", str(catalog), "--store", str(store), "--workers", "1", "--no-speech", "--json",
                   "--metadata", postgres_url, "--vectors", str(vectors))
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["ingested"] == len(rows)
    assert not (store / "vidrec.sqlite").exists() and not (store / "vectors.index").exists()
    again = vidrec("ingest", str(catalog), "--store", str(store), "--workers", "1", "--no-speech", "--json")
    assert again.returncode == 0, again.stderr  # no flags: the recorded backends are used, nothing changed
    assert json.loads(again.stdout)["skipped"] == len(rows)
    target = rows[0]
    found = vidrec("search", f"{target['color']} {target['category']}", "--store", str(store), "--json")
    assert found.returncode == 0, found.stderr
    results = json.loads(found.stdout)["results"]
    assert results and results[0]["id"] == target["id"] and results[0]["price"] == float(target["price"])
    shown = vidrec("items", "show", target["id"], "--store", str(store), "--json")
    assert shown.returncode == 0 and json.loads(shown.stdout)["id"] == target["id"], shown.stderr
    other = vidrec("ingest", str(catalog), "--store", str(store), "--vectors", str(tmp_path / "elsewhere.db"))
    assert other.returncode == 5 and "keeps its vectors at" in " ".join(other.stderr.split())  # rich wraps lines
