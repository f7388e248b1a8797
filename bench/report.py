"""How a bench script hands back its result: the JSON on standard output, and in a file when one was asked for."""

from __future__ import annotations

import json
from pathlib import Path


def emit(result: dict, path: str | Path | None) -> None:
    """Print ``result`` as indented JSON (non-ASCII kept) and write the same text to ``path`` when it is given."""
    text = json.dumps(result, indent=1, ensure_ascii=False)
    print(text)
    if path:
        Path(path).write_text(text + "\n", encoding="utf-8")
