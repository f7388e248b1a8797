"""The `vidrec` command line: one module per command group. It imports the library; the library never imports it."""

from vidrec.cli.main import main

__all__ = ["app", "main"]


def __getattr__(name: str):  # the whole app is built on first use: a run of one command loads only its module
    if name == "app":
        from vidrec.cli.main import app

        return app
    raise AttributeError(name)
