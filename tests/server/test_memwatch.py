"""VIDREC_MEMWATCH: the server writes where its memory goes, for finding leaks (vidrec/server/memwatch.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time

import pytest
from conftest import make_settings
from fastapi.testclient import TestClient

from vidrec.errors import ConfigError
from vidrec.server import memwatch
from vidrec.server.app import create_app


def test_from_env_reads_the_settings_and_refuses_bad_ones(tmp_path):
    assert memwatch.from_env({}) is None
    assert memwatch.from_env({"VIDREC_MEMWATCH": "  "}) is None
    watch = memwatch.from_env({"VIDREC_MEMWATCH": str(tmp_path / "m.jsonl"), "VIDREC_MEMWATCH_EVERY": "2.5",
                               "VIDREC_MEMWATCH_TRACEMALLOC": "7"})
    assert (watch.path, watch.every_s, watch.trace_frames) == (tmp_path / "m.jsonl", 2.5, 7)
    for bad in ({"VIDREC_MEMWATCH_EVERY": "often"}, {"VIDREC_MEMWATCH_EVERY": "0"},
                {"VIDREC_MEMWATCH_TRACEMALLOC": "-1"}, {"VIDREC_MEMWATCH_TRACEMALLOC": "deep"}):
        with pytest.raises(ConfigError, match="VIDREC_MEMWATCH_"):
            memwatch.from_env({"VIDREC_MEMWATCH": str(tmp_path / "m.jsonl"), **bad})


def _lines(path) -> int:
    """Lines the watch has written so far (none before its first: in a big test process it takes a while)."""
    return len(path.read_text().splitlines()) if path.exists() else 0


def test_the_server_writes_its_memory_and_structures(encoder, store_copy, tmp_path, monkeypatch):
    out = tmp_path / "mem.jsonl"
    monkeypatch.setenv("VIDREC_MEMWATCH", str(out))
    monkeypatch.setenv("VIDREC_MEMWATCH_EVERY", "0.2")
    with TestClient(create_app(make_settings(store_copy), text_encoder=encoder)) as c:
        r = c.post("/v1/sessions", json={})
        assert r.status_code == 201
        sid, token = r.json()["session_id"], r.json()["client_token"]
        assert c.post(f"/v1/sessions/{sid}/messages", json={"text": "red dress"},
                      headers={"Authorization": f"Bearer {token}"}).status_code == 200
        written = _lines(out)  # lines written before the turn had finished do not count
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and _lines(out) < written + 2:
            time.sleep(0.1)
    # the server has stopped: the watch wrote its last line
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(lines) >= written + 3
    last_serving = lines[-2]
    assert last_serving["rss"] > 10 * 2**20 and last_serving["threads"] >= 2 and last_serving["gc_objects"] > 1000
    assert last_serving["rss_anon"] + last_serving["rss_file"] + last_serving["rss_shmem"] == pytest.approx(
        last_serving["rss"], rel=0.05)
    assert last_serving["malloc"]["in_use"] > 0 and last_serving["sqlite"] > 0
    assert last_serving["structures"]["store.connections"] >= 1
    assert last_serving["structures"]["library.profiles"] >= 1  # the turn read profiles
    assert "traced" not in last_serving  # tracemalloc only when asked for
    assert lines[-1]["structures"]["store.connections"] == 0  # written after the store was closed


def test_tracemalloc_names_the_line_whose_allocations_grew(tmp_path):
    watch = memwatch.MemWatch(tmp_path / "m.jsonl", every_s=3600, trace_frames=3).start()
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not (tmp_path / "m.jsonl").exists():
            time.sleep(0.05)
        kept = [bytearray(1000) for _ in range(5000)]  # 5 MB held here
        watch.write()
    finally:
        watch.stop()
    lines = [json.loads(line) for line in (tmp_path / "m.jsonl").read_text().splitlines()]
    assert "grown" not in lines[0]  # the first line is the baseline
    top = lines[1]["grown"][0]
    assert "test_memwatch.py" in top["site"] and top["size_diff"] >= 5_000_000 and top["count_diff"] >= 5000
    assert len(kept) == 5000


def test_trim_interval_defaults_to_a_minute_and_refuses_bad_values():
    assert memwatch.trim_interval_s({}) == 60.0
    assert memwatch.trim_interval_s({"VIDREC_MALLOC_TRIM": "5m"}) == 300.0
    assert memwatch.trim_interval_s({"VIDREC_MALLOC_TRIM": "0"}) is None
    with pytest.raises(ConfigError, match="VIDREC_MALLOC_TRIM"):
        memwatch.trim_interval_s({"VIDREC_MALLOC_TRIM": "often"})


def test_trim_gives_back_what_a_thread_freed_but_malloc_kept():
    """Memory a worker thread allocated and freed stays in its malloc arena (pinned by a few live blocks) until
    trimmed; that is what made the server's RSS creep while the bytes in use stayed flat."""
    out = {}

    def work() -> None:
        blocks = [bytearray(2000) for _ in range(100_000)]  # 200 MB of small blocks, in this thread's arena
        keep = blocks[::500]  # a few stay alive, spread over the arena: it cannot shrink from the top alone
        del blocks
        out["freed"] = memwatch._proc_status()["RssAnon"]
        assert memwatch.trim_malloc() is True
        out["trimmed"] = memwatch._proc_status()["RssAnon"]
        out["keep"] = len(keep)

    t = threading.Thread(target=work)
    t.start()
    t.join()
    assert out["keep"] == 200
    assert out["freed"] - out["trimmed"] > 100 * 2**20


def test_arena_limit_defaults_to_two_and_leaves_an_explicit_glibc_setting_alone():
    assert memwatch.arena_limit({}) == 2
    assert memwatch.arena_limit({"VIDREC_MALLOC_ARENAS": "4"}) == 4
    assert memwatch.arena_limit({"VIDREC_MALLOC_ARENAS": "0"}) is None  # glibc's own limit
    assert memwatch.arena_limit({"MALLOC_ARENA_MAX": "1", "VIDREC_MALLOC_ARENAS": "4"}) is None
    for bad in ("few", "-1"):
        with pytest.raises(ConfigError, match="VIDREC_MALLOC_ARENAS"):
            memwatch.arena_limit({"VIDREC_MALLOC_ARENAS": bad})


_ARENAS_SCRIPT = """
import ctypes, sys, threading
from vidrec.server import memwatch
if sys.argv[1] != "0":
    assert memwatch.limit_arenas(int(sys.argv[1]))
libc = ctypes.CDLL("libc.so.6")
libc.malloc.restype = ctypes.c_void_p
start = threading.Barrier(8)
def work():
    start.wait()  # all eight threads alive at once, each asking malloc for memory
    for _ in range(50):
        libc.malloc(1000)
threads = [threading.Thread(target=work) for _ in range(8)]
for t in threads: t.start()
for t in threads: t.join()
libc.malloc_stats()  # one "Arena N:" block per arena, on stderr
"""


def _arenas_used_by_eight_threads(limit: int) -> int:
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
    done = subprocess.run([sys.executable, "-c", _ARENAS_SCRIPT, str(limit)], capture_output=True, text=True,
                          env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    return sum(1 for line in done.stderr.splitlines() if line.startswith("Arena "))


def test_without_a_limit_each_new_thread_gets_an_arena_of_its_own():
    assert _arenas_used_by_eight_threads(0) >= 4  # glibc's own limit is 8 per core


def test_with_the_limit_the_threads_share_two_arenas():
    assert 1 <= _arenas_used_by_eight_threads(2) <= 2
