"""`vidrec chat --jsonl` driven as a subprocess (its own module: no engine of this process holds the store)."""

import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow


def test_chat_jsonl_subprocess(demo_store):
    msgs = "我想买一件T恤\n要黑色的\n第一个多少钱\n"
    proc = subprocess.run([sys.executable, "-m", "vidrec.cli", "chat", "--jsonl", "--store", str(demo_store),
                           "--user", "u-jsonl"], input=msgs, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    turns = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(turns) == 3
    for t in turns:
        assert {"reply", "intent", "slots", "state", "items"} <= set(t)
    assert turns[0]["state"]["constraints"]["category"] == "T-Shirt"
