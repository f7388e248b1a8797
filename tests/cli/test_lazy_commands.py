"""A `vidrec` run loads only the module of its command: the map of commands to modules is whole, and a search asks
a server without importing the NLU, numpy or FAISS (what a search done here needs; typer itself brings pydantic)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import typer.main

from vidrec.cli.main import COMMANDS, MODULES, build_app, command_module

REPO = Path(__file__).resolve().parents[2]
HEAVY = ("vidrec.nlu", "vidrec.learn", "vidrec.library", "numpy", "faiss", "vidrec.cli.parse",
         "vidrec.cli.learn", "vidrec.cli.ingest")


def test_every_command_has_its_module_and_no_other():
    whole = typer.main.get_command(build_app())
    assert set(whole.commands) == set(COMMANDS)
    for name, module in COMMANDS.items():
        alone = typer.main.get_command(build_app((module,)))
        assert name in alone.commands
        assert {COMMANDS[c] for c in alone.commands} == {module}
    assert set(MODULES) == set(COMMANDS.values())


def test_the_command_is_the_first_word_after_the_root_flags():
    assert command_module(["search", "red dress", "--store", "s"]) == "search"
    assert command_module(["-v", "train", "--store", "s"]) == "learn"
    assert command_module(["--verbose", "items", "list"]) == "items"
    for args in ([], ["--help"], ["--version"], ["serach", "x"], ["-x", "search"]):
        assert command_module(args) is None, args


class _Answer(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 - the http.server API
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        data = json.dumps({"query": body["query"], "parsed": {"lang": "en"},
                           "results": [{"id": "d007", "title": "Red midi dress", "price": 199.0, "start": 1.5,
                                        "score": 0.8, "why": "red in frames", "colors": ["Red"]}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def test_a_search_through_a_server_imports_nothing_a_local_search_needs():
    server = HTTPServer(("127.0.0.1", 0), _Answer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    code = ("import sys\n"
            "from vidrec.cli.main import main\n"
            "sys.argv = ['vidrec', 'search', 'red dress', '--server', sys.argv[1], '--json']\n"
            "try:\n    main()\nexcept SystemExit as exc:\n    assert not exc.code, exc.code\n"
            f"print([m for m in {HEAVY!r} if m in sys.modules])\n")
    try:
        proc = subprocess.run([sys.executable, "-c", code, f"http://127.0.0.1:{server.server_address[1]}"],
                              capture_output=True, text=True, timeout=120, cwd=str(REPO),
                              env={**os.environ, "PYTHONPATH": str(REPO)})
    finally:
        server.shutdown()
    assert proc.returncode == 0, proc.stderr
    answer, loaded = proc.stdout.strip().splitlines()
    assert json.loads(answer)["results"][0]["id"] == "d007"
    assert loaded == "[]"
