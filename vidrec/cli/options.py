"""What several commands share: the --store and --json options, finding an existing store, the two consoles."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

console = Console(stderr=True, soft_wrap=True)
out = Console(highlight=False, soft_wrap=True)

StoreOpt = Annotated[str | None, typer.Option("--store", help="Store directory (default: $VIDREC_HOME or "
                                                                 "./vidrec-data).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON on stdout.")]


def print_json(data) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


def existing_store(store: str | None) -> Path:
    """The store directory that --store (or the default) names; an error that says how to make one if it is
    not there."""
    from vidrec.config import store_dir
    from vidrec.errors import StoreError

    root = store_dir(store)
    if not root.exists():
        raise StoreError(f"no store at {root}; run `vidrec ingest CATALOG --store {root}` first")
    return root
