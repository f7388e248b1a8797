"""The `vidrec` command line: one module per command group. It imports the library; the library never imports it."""

from vidrec.cli.main import app, main

__all__ = ["app", "main"]
