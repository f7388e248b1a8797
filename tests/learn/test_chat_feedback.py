"""Every like a shopper says in `vidrec chat --user U --script` reaches the store, also when the chat asked a
question just before ("I like the 2nd one" is about the 2nd item on screen, not the question's 2nd option) and when
a server holds the store (the chat runs read-only but still records what the user did)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

# the first message gets a question (colour, with numbered options); "more" shows items without answering it, so
# the question is still pending when the likes are said
SCRIPT = [
    "show me some clothes",
    "more",
    "I like the 2nd one",
    "add the first one to my cart",
    "I like the first one",
    "我喜欢第三个",
]
LIKES_SAID = 3


def copy_store(demo_store: Path, target: Path) -> Path:
    shutil.copytree(demo_store, target, ignore=shutil.ignore_patterns("write.lock", "models"))
    return target


def events(store: Path, user: str) -> Counter:
    """The user's interactions by event, and their shown cards under "impression"."""
    from vidrec.store import open_metadata

    meta = open_metadata(store)
    try:
        counts = Counter(e.event for e in meta.interactions(user))
        counts["impression"] = sum(1 for _ in meta.impressions(user))
        return counts
    finally:
        meta.close()


def chat_script(store: Path, user: str, tmp_path: Path) -> subprocess.CompletedProcess:
    script = tmp_path / f"{user}.txt"
    script.write_text("\n".join(SCRIPT) + "\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "vidrec.cli", "chat", "--store", str(store), "--user", user,
                           "--script", str(script)], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    return proc


def test_every_like_said_is_recorded_also_right_after_a_question(demo_store, tmp_path):
    store = copy_store(demo_store, tmp_path / "store")
    proc = chat_script(store, "liker", tmp_path)
    assert "Any preference" in proc.stdout  # the likes below were said while a question was pending
    counts = events(store, "liker")
    assert counts["like"] == LIKES_SAID, (counts, proc.stdout)
    assert counts["cart"] == 1 and counts["impression"] >= 4, counts
    assert counts["view"] == 0, counts  # a card on the screen is an impression, not a choice the model learns from


def test_a_chat_beside_the_stores_writer_still_records_the_users_likes(demo_store, tmp_path):
    from vidrec.library import Library

    store = copy_store(demo_store, tmp_path / "busy")
    writer = Library.open(store, readonly=False)  # as a running server holds it
    try:
        proc = chat_script(store, "beside", tmp_path)
    finally:
        writer.close()
    assert "chatting read-only" in " ".join((proc.stdout + proc.stderr).split())
    assert events(store, "beside")["like"] == LIKES_SAID, proc.stdout
