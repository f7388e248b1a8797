"""`vidrec chat --jsonl` driven as a subprocess (its own module: no engine of this process holds the store)."""

import json
import os
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


def test_the_demo_conversation_runs_as_scripted(demo_store, demo_dir):
    """What ./demo.sh shows: every line of the demo's script is said and answered, and the cart turn lands."""
    script = demo_dir / "chat.txt"
    said = [ln.strip() for ln in script.read_text(encoding="utf-8").splitlines()
            if ln.strip() and not ln.startswith("#")]
    proc = subprocess.run([sys.executable, "-m", "vidrec.cli", "chat", "--script", str(script), "--store",
                           str(demo_store)], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "COLUMNS": "200"})
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert [ln.removeprefix("you: ") for ln in lines if ln.startswith("you: ")] == said
    replies = [ln for ln in lines if ln.startswith("vidrec: ")]
    assert len(replies) == len(said) and all(len(r) > len("vidrec: ") for r in replies)
    assert "cart" in replies[-1]  # the last line puts the first blue shorts in the cart


def test_a_script_without_messages_is_a_usage_error(demo_store, tmp_path):
    script = tmp_path / "empty.txt"
    script.write_text("# nothing to say\n\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "vidrec.cli", "chat", "--script", str(script), "--store",
                           str(demo_store)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "no messages" in proc.stdout + proc.stderr


def test_chat_beside_the_process_that_writes_the_store_runs_read_only(demo_store, tmp_path):
    """A server holds the writer lock: `vidrec chat` still answers, keeps its session in memory, and says so."""
    import shutil

    store = tmp_path / "store"
    shutil.copytree(demo_store, store, ignore=shutil.ignore_patterns("write.lock"))
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time\nfrom vidrec.store import Store\n"
                               "s = Store.open(sys.argv[1], readonly=False)\nprint('locked', flush=True)\n"
                               "time.sleep(300)", str(store)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        proc = subprocess.run([sys.executable, "-m", "vidrec.cli", "chat", "--jsonl", "--store", str(store)],
                              input="我想买一件T恤\n要黑色的\n", capture_output=True, text=True, timeout=300)
    finally:
        holder.kill()
        holder.wait()
    assert proc.returncode == 0, proc.stderr
    turns = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(turns) == 2 and turns[0]["items"] and turns[1]["state"]["constraints"]["category"] == "T-Shirt"
    assert "chatting read-only" in proc.stderr and "not saved" in proc.stderr
    from vidrec.store import open_metadata

    db = open_metadata(store)
    try:
        assert db.get_session(turns[0]["session_id"]) is None  # nothing was written
    finally:
        db.close()
