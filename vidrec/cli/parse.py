"""`vidrec parse`: understand one message, or a stream of them.

    vidrec parse "第二个是什么材质的" --json
    vidrec parse --jsonl < messages.txt        # one JSON object per input line, flushed per line

Messages longer than MAX_CHARS (2,000 characters) are refused: for TEXT with a message on stderr and exit code 2;
in --jsonl mode that line gets {"error": ..., "line": N} and the stream goes on (exit code 2 at the end).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from vidrec.errors import InputError, VidrecError
from vidrec.nlu.lexicon import Lexicon
from vidrec.nlu.parser import check_length, parse
from vidrec.nlu.schema import Parse


def _load_vocab(path: Path) -> Lexicon:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InputError(f"{path}: no such file; pass a JSON file with categories, colours and brands") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not valid UTF-8 JSON ({exc}); expected "
                         '{"categories": [...], "colours": [...], "brands": [...]}') from exc
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a JSON object with categories, colours and brands")
    return Lexicon.from_catalog(list(data.get("categories", [])), list(data.get("colours", [])),
                                list(data.get("brands", [])), data.get("extra"))


def _write(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def _human(p: Parse) -> str:
    slots = p.slots.present()
    shown = ", ".join(f"{k}={v}" for k, v in slots.items()) or "no slots"
    return f"{p.intent} ({p.confidence:.2f}, {p.lang}): {shown}"


def store_lexicon() -> Lexicon | None:
    """The catalog's labels when a store is there ($VIDREC_HOME or ./vidrec-data), so `vidrec parse` speaks them."""
    from vidrec.config import store_dir
    from vidrec.library import Library
    from vidrec.store import is_store

    root = store_dir(None)
    if not is_store(root):
        return None
    with Library.open(root) as lib:
        return lib.lexicon()


def register(app: typer.Typer, lexicon_loader: Callable[[], Lexicon] | None = None) -> None:
    """Add `parse` to the vidrec CLI. `lexicon_loader` builds the store's catalog lexicon (default: built-in)."""

    @app.command("parse")
    def parse_command(
        text: Annotated[str | None, typer.Argument(help="the message; leave out with --jsonl")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="print the result as JSON")] = False,
        jsonl: Annotated[bool, typer.Option("--jsonl", help="read messages from stdin, one per line; "
                                                            "write one JSON object per line")] = False,
        shown: Annotated[int | None, typer.Option(help="how many items the last reply showed")] = None,
        vocab: Annotated[Path | None, typer.Option(help="JSON file with the catalog's categories, colours and "
                                                        "brands (default: the store's catalog, else built-in)")] = None,
    ) -> None:
        """Understand a shopper's message: intent and slots (Chinese and English)."""
        try:
            lexicon = _load_vocab(vocab) if vocab else (lexicon_loader() if lexicon_loader else None)
        except VidrecError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(exc.exit_code) from None
        context = {"lexicon": lexicon, "shown": shown}
        if jsonl:
            if text is not None:
                typer.echo("error: give either TEXT or --jsonl (messages on stdin), not both", err=True)
                raise typer.Exit(2)
            refused = 0
            for n, raw in enumerate(sys.stdin.buffer, start=1):
                line = raw.decode("utf-8", "replace").rstrip("\r\n")
                try:
                    check_length(line)
                except InputError as exc:
                    refused += 1
                    _write(json.dumps({"error": str(exc), "line": n}, ensure_ascii=False))
                    continue
                _write(json.dumps(parse(line, context).model_dump(), ensure_ascii=False))
            if refused:
                raise typer.Exit(2)
            return
        if text is None:
            typer.echo("error: give a message (vidrec parse \"第二个多少钱\") or --jsonl to read stdin", err=True)
            raise typer.Exit(2)
        try:
            check_length(text)
        except InputError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(exc.exit_code) from None
        result = parse(text, context)
        _write(json.dumps(result.model_dump(), ensure_ascii=False) if as_json else _human(result))
