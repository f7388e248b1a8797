"""Run the real app with uvicorn over a store, with the n-gram test encoder: `python serve_test_app.py STORE PORT`.

Settings other than the store come from the environment, as with `vidrec serve`."""

import logging
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from ngram_encoder import NgramEncoder  # noqa: E402

from vidrec.server.app import create_app, run_server  # noqa: E402
from vidrec.server.logs import configure_logging  # noqa: E402
from vidrec.server.settings import ServerSettings  # noqa: E402

if __name__ == "__main__":
    configure_logging(logging.INFO)
    settings = ServerSettings.from_env(sys.argv[1])
    port = int(sys.argv[2])
    run_server(create_app(settings, text_encoder=NgramEncoder(), announce_url=f"http://127.0.0.1:{port}"),
               "127.0.0.1", port)
