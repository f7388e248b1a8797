"""`vidrec search` reads a query with the same NLU as the chat (its own module: a subprocess on the demo store)."""

import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow


def _search(store, query: str) -> dict:
    proc = subprocess.run([sys.executable, "-m", "vidrec.cli", "search", query, "--store", str(store), "--json"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_search_understands_a_gift_for_my_husband(demo_store):
    out = _search(demo_store, "a gift for my husband")
    assert out["parsed"]["gender"] == "Men" and out["parsed"]["lang"] == "en"
    assert out["results"]  # gender ranks, it does not filter
    out = _search(demo_store, "给我老婆买一条裙子 300元以内")
    assert out["parsed"]["gender"] == "Women" and out["parsed"]["price_max"] == 300
    assert all(h["price"] <= 300 for h in out["results"])
