"""Fixtures for the server tests.

Fast tests run the real app over a real store built here from the shipped demo catalog (its real videos, titles,
prices, narration), with item vectors from a small deterministic character n-gram encoder instead of the bundled
e5 model, so they need no model and run in seconds. Tests marked slow use `demo_store` (the demo catalog ingested
with the real models) and a real `vidrec serve` process.
"""

from __future__ import annotations

import csv
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from ngram_encoder import NgramEncoder  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "examples" / "demo"
ADMIN_KEY = "admin-key-for-tests-0123456789"
SHOPPER_KEY = "shopper-key-for-tests-0123456789"
OTHER_SHOPPER_KEY = "other-shopper-key-for-tests-0123"


def demo_rows() -> list[dict]:
    with open(DEMO / "catalog.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    with open(DEMO / "narration.csv", encoding="utf-8") as f:
        spoken = {r["id"]: r for r in csv.DictReader(f)}
    for r in rows:
        r["narration"] = spoken.get(r["id"], {}).get("narration", "")
        r["spoken_lang"] = spoken.get(r["id"], {}).get("spoken_lang", "en")
    return rows


def build_store(root: Path, encoder: NgramEncoder, rows: list[dict] | None = None, vectors: str | None = None) -> Path:
    """A store holding the demo items: profiles with evidence, item/picture/shot vectors, keyword index. ``vectors``:
    where the vectors live (a Milvus Lite ``.db`` file; default the store's own FAISS file)."""
    import av

    from vidrec.ingest.writer import vector_rows
    from vidrec.store import Store
    from vidrec.understand.profile import (
        Attribute,
        Evidence,
        ItemProfile,
        ShotSummary,
        TranscriptLine,
    )

    rows = rows if rows is not None else demo_rows()
    store = Store.open(root, create=True, vectors=vectors)
    try:
        for r in rows:
            video = (DEMO / r["video"]).resolve()
            with av.open(str(video)) as c:
                duration = float(c.duration or 0) / 1e6 or 10.0
            cuts = [0.0, round(duration / 3, 2), round(2 * duration / 3, 2), duration]
            shots = [ShotSummary(start=cuts[i], end=cuts[i + 1], keyframe=round((cuts[i] + cuts[i + 1]) / 2, 2))
                     for i in range(3)]

            def attr(value, modality="metadata", start=None, text=None):
                return Attribute(value=value, confidence=1.0, source=modality,
                                 evidence=[Evidence(modality=modality, start=start, text=text)])

            attributes = {
                "category": attr(r["category"], "metadata", None, r["title"]),
                "color": attr(r["color"], "visual", shots[1].start),
                "colors": attr([r["color"]], "visual", shots[1].start),
                "price": attr(float(r["price"]), "speech", shots[2].start, r["narration"]),
                "brand": attr(r["brand"]),
                "material": attr(r["material"], "speech", shots[0].start, r["narration"]),
            }
            profile = ItemProfile(id=r["id"], title=r["title"], video=str(video), duration=duration,
                                  attributes=attributes, shots=shots, description=r["description"],
                                  transcript=[TranscriptLine(start=0.5, end=duration - 0.5, text=r["narration"],
                                                             lang=r["spoken_lang"])],
                                  metadata={"brand": r["brand"], "tags": r["tags"]})
            text = f"{r['title']} {r['description']} {r['category']} {r['color']} {r['material']} {r['tags']}"
            tv = encoder.encode([text])[0]
            shot_vectors = encoder.encode([f"{r['title']} shot {i}" for i in range(3)])
            shot_vectors[1] = tv  # the middle shot looks most like the item's description
            analysis = {"text_vector": tv, "image_vector": encoder.encode([f"{r['category']} {r['color']}"])[0],
                        "shot_vectors": shot_vectors, "shot_starts": [s.start for s in shots]}
            facets = {"category": r["category"], "colors": [r["color"]], "price": float(r["price"]),
                      "brand": r["brand"]}
            ids, vecs, payload = vector_rows(analysis, r["id"], facets)
            store.vectors.add(ids, vecs, payload)
            store.lexical.add([r["id"]], [text + " " + r["narration"]])
            store.metadata.upsert_item(r["id"], f"hash-{r['id']}", str(video), profile.model_dump(),
                                       {**facets, "title": r["title"]})
    finally:
        store.close()
    return root


CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def chromium(*extra_args: str):
    """A real Chromium driven by Playwright, for a module-scoped `browser` fixture to yield from; skipped (a failure
    in CI) when Chromium is not installed."""
    if not CHROMIUM.exists():
        pytest.skip("Chromium is missing: apt-get install -y chromium (scripts/setup.sh installs it when it can)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=[*CHROMIUM_ARGS, *extra_args])
        yield b
        b.close()


@pytest.fixture(scope="session")
def encoder() -> NgramEncoder:
    return NgramEncoder()


@pytest.fixture(scope="session")
def built_store(tmp_path_factory, encoder) -> Path:
    return build_store(tmp_path_factory.mktemp("server-store") / "store", encoder)


@pytest.fixture
def store_copy(built_store, tmp_path) -> Path:
    """A fresh copy of the built store for tests that write (sessions, feedback, users)."""
    import shutil

    target = tmp_path / "store"
    shutil.copytree(built_store, target, ignore=shutil.ignore_patterns("write.lock", "thumbnails", ".server*"))
    return target


def make_settings(store: Path, **kw):
    from vidrec.server.settings import ServerSettings

    return ServerSettings(store=store, **kw)


@pytest.fixture
def make_client(encoder):
    """make_client(store, **settings) -> a TestClient over the real app (lifespan run), closed after the test."""
    from fastapi.testclient import TestClient

    from vidrec.server.app import create_app

    clients = []

    def make(store: Path, **kw) -> TestClient:
        client = TestClient(create_app(make_settings(store, **kw), text_encoder=encoder),
                            raise_server_exceptions=False)
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for c in reversed(clients):
        c.__exit__(None, None, None)


@pytest.fixture
def client(make_client, store_copy):
    return make_client(store_copy, admin_key=ADMIN_KEY)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerProcess:
    """A real `vidrec serve` (or uvicorn over a test app) in a child process, stopped at teardown."""

    def __init__(self, args: list[str], env: dict[str, str], port: int, log: Path):
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self.log = log
        self._log = open(log, "wb")
        self.proc = subprocess.Popen(args, env=env, stdout=self._log, stderr=subprocess.STDOUT, cwd=str(REPO))

    def wait_ready(self, timeout: float = 180.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}: {self.log.read_text()[-3000:]}")
            try:
                if httpx.get(self.base + "/readyz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"server not ready after {timeout} s: {self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()


def server_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIDREC_") or k == "VIDREC_CACHE"}
    env.update({"PYTHONUNBUFFERED": "1", **extra})
    return env


@pytest.fixture
def test_server(store_copy, tmp_path):
    """uvicorn in a child process over the built store (n-gram encoder): real sockets, real streaming."""
    servers = []

    def start(store: Path | None = None, **env: str) -> ServerProcess:
        port = free_port()
        args = [sys.executable, str(Path(__file__).parent / "serve_test_app.py"), str(store or store_copy),
                str(port)]
        srv = ServerProcess(args, server_env(**env), port, tmp_path / f"server-{port}.log")
        servers.append(srv)
        srv.wait_ready(60)
        return srv

    yield start
    for s in servers:
        s.stop()
