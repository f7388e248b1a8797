"""`vidrec chat`: an interactive terminal chat, a scripted one (`--script`, what the demo shows), or one JSON turn
per stdin line for programs (`--jsonl`)."""

from __future__ import annotations

import json
import sys
import uuid
from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    @app.command()
    def chat(
        store: Annotated[str | None, typer.Option("--store", help="Store directory.")] = None,
        user: Annotated[str | None, typer.Option("--user", help="User id: feedback is recorded for it and its "
                                                                "trained model personalises the ranking.")] = None,
        session: Annotated[str | None, typer.Option("--session", help="Continue this session id.")] = None,
        lang: Annotated[str, typer.Option("--lang", help="zh, en or auto (follow the shopper).")] = "auto",
        jsonl: Annotated[bool, typer.Option("--jsonl", help="Read one message per stdin line, write one JSON turn "
                                                            "per line (flushed at once).")] = False,
        script: Annotated[Path | None, typer.Option("--script", help="Say each line of this UTF-8 file in turn "
                                                                     "(blank lines and lines starting with # are "
                                                                     "skipped) and print the conversation.")] = None,
    ) -> None:
        """Talk to the recommender. Sessions persist in the store and survive a restart."""
        from rich.markup import escape

        from vidrec.cli.options import existing_store
        from vidrec.dialog.engine import Engine
        from vidrec.errors import ConfigError, StoreBusyError, VidrecError
        from vidrec.library import Library

        if lang not in ("zh", "en", "auto"):
            raise ConfigError(f"--lang must be zh, en or auto, not {lang!r}")
        if script is not None and jsonl:
            raise ConfigError("--script and --jsonl read messages from different places; give one of them")
        messages = _script_lines(script) if script is not None else None
        root = existing_store(store)
        try:
            library = Library.open(root, readonly=False)
        except StoreBusyError as exc:
            # a server (or an ingest) writes the store: chat beside it without saving
            from vidrec.cli.options import console

            note = " (what you like or add to the cart is still recorded for --user)" if user else ""
            console.print(f"[yellow]note:[/] {escape(str(exc).split(';')[0])}: chatting read-only, this "
                          f"conversation is kept in memory and not saved{note}", highlight=False)
            library = Library.open(root, readonly=True, memory_sessions=True)
        try:
            engine = Engine(library, user_model=_user_model(library, user), thumbnail_url=None)
            sid = session or uuid.uuid4().hex
            if jsonl:
                for line in sys.stdin:
                    text = line.rstrip("\n")
                    try:
                        turn = engine.respond(sid, text, user_id=user)
                        out = turn.model_dump()
                    except VidrecError as exc:
                        out = {"session_id": sid, "error": str(exc)}
                    sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
                    sys.stdout.flush()
                return
            if messages is not None:
                _scripted(engine, sid, user, messages)
                return
            _interactive(engine, sid, user, lang)
        finally:
            library.close()


def _user_model(library, user: str | None):
    """The store's trained user model for a chat with --user (None without a user, without a model, or when it
    cannot be read: then a warning says why and the chat answers without personalisation)."""
    if not user:
        return None
    return library.trained_model()


def _script_lines(path: Path) -> list[str]:
    from vidrec.errors import InputError

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"--script {path}: cannot read it as UTF-8 text ({exc})") from exc
    lines = [line.strip() for line in text.splitlines()]
    messages = [line for line in lines if line and not line.startswith("#")]
    if not messages:
        raise InputError(f"--script {path}: no messages in it (one per line; # starts a comment)")
    return messages


def _scripted(engine, sid: str, user: str | None, messages: list[str]) -> None:
    from rich.console import Console

    console = Console()
    for text in messages:
        console.print(f"[bold]you[/]: {text}", highlight=False)
        _show_turn(console, engine.respond(sid, text, user_id=user))
        console.print()


def _show_turn(console, turn) -> None:
    from rich.table import Table

    console.print(f"[bold green]vidrec[/]: {turn.reply}", highlight=False)
    if turn.items:
        table = Table("#", "item", "price", "play from", "why", show_lines=False)
        for i, item in enumerate(turn.items, 1):
            table.add_row(str(i), item.title, f"¥{item.price:g}" if item.price is not None else "-",
                          f"{item.start:.1f}s" if item.start is not None else "-", item.why)
        console.print(table)


def _interactive(engine, sid: str, user: str | None, lang: str) -> None:
    from rich.console import Console
    from rich.prompt import Prompt

    console = Console()
    hello = "你好！想买点什么？（输入 exit 退出）" if lang == "zh" else \
        "Hi! What are you shopping for? (type exit to quit)"
    console.print(f"[bold green]vidrec[/]: {hello}")
    while True:
        try:
            text = Prompt.ask("[bold]you[/]")
        except (EOFError, KeyboardInterrupt):
            console.print()
            return
        if text.strip().lower() in ("exit", "quit", "退出"):
            return
        _show_turn(console, engine.respond(sid, text, user_id=user))
