"""The server runs on uvloop and parses HTTP with httptools (C) where they are installed, and says so in its log;
without them it falls back to asyncio's loop and h11."""

from __future__ import annotations

import importlib.util
import json
import os

import httpx
import pytest

from vidrec.server import app as server_app


def test_without_the_c_packages_the_server_falls_back_to_asyncio_and_h11(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name in ("uvloop", "httptools") else real(name, *a))
    assert server_app.http_options() == {"loop": "asyncio", "http": "h11"}


def test_with_them_it_names_them():
    installed = all(importlib.util.find_spec(n) is not None for n in ("uvloop", "httptools"))
    if not installed and os.environ.get("CI", "").lower() not in ("1", "true", "yes"):
        pytest.skip("uvloop / httptools not installed here (pip install -e . installs them)")
    assert server_app.http_options() == {"loop": "uvloop", "http": "httptools"}


def test_a_real_server_says_which_loop_and_parser_serve_it(test_server):
    options = server_app.http_options()
    srv = test_server()
    r = httpx.get(f"{srv.base}/healthz", timeout=10)
    assert r.status_code == 200
    srv.stop()
    lines = [json.loads(line) for line in srv.log.read_text().splitlines() if line.startswith("{")]
    started = [line for line in lines if line.get("msg") == "http server"]
    assert [(s["loop"], s["http"]) for s in started] == [(options["loop"], options["http"])]
    serving = [line for line in lines if line.get("msg") == "serving"]
    assert [s["loop"] for s in serving] == [options["loop"]]  # the loop the app runs on, not only the one asked for
