"""The `vidrec` command. Kept apart from the library: it parses flags, shows progress and prints results.

Each command group lives in its own module with a ``register(app)``; this module assembles them and turns what
goes wrong into one line on stderr and an exit code (2 for a mistyped command or flag, the error's own code for a
VidrecError), never a traceback.

A run loads only the module of the command it runs (`vidrec search` does not import the NLU for `vidrec parse`
nor the learning stack for `vidrec train`): ``main()`` builds the app from that one module when the command line
names a known command, and the whole app otherwise (help, a mistyped command). ``app`` (the whole app, for
tests and embedding) is built on first use.
"""

from __future__ import annotations

import difflib
import importlib
import logging
import sys
from typing import Annotated

import typer
from rich.markup import escape

from vidrec import __version__
from vidrec.cli.options import console
from vidrec.errors import VidrecError

# every command (the first word after `vidrec`) -> the module in vidrec/cli that registers it; the modules in the
# order `vidrec --help` lists them
COMMANDS = {"ingest": "ingest", "items": "items", "search": "search", "parse": "parse", "chat": "chat",
            "train": "learn", "evaluate": "learn", "recommend": "learn", "serve": "serve", "doctor": "doctor"}
MODULES = tuple(dict.fromkeys(COMMANDS.values()))
ROOT_FLAGS = ("--verbose", "-v")  # the root's options that may come before the command (--version exits)


def _show_version(value: bool) -> None:
    if value:
        sys.stdout.write(f"vidrec {__version__}\n")
        raise typer.Exit(0)


def _root(verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log details to stderr.")] = False,
          version: Annotated[bool, typer.Option("--version", callback=_show_version, is_eager=True,
                                                help="Print the version and exit.")] = False) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)


def build_app(modules: tuple[str, ...] = MODULES) -> typer.Typer:
    """The `vidrec` app with the commands of ``modules`` (default: all of them)."""
    app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                      help="vidrec: a conversational recommender that watches product videos.")
    app.callback()(_root)
    for name in modules:
        module = importlib.import_module(f"vidrec.cli.{name}")
        if name == "parse":
            module.register(app, lexicon_loader=module.store_lexicon)
        else:
            module.register(app)
    return app


def command_module(args: list[str]) -> str | None:
    """The module of the command that ``args`` (the command line after `vidrec`) runs; None when it names none
    (help, the version, a mistyped command, an unknown root flag): then the whole app answers."""
    for arg in args:
        if arg in ROOT_FLAGS:
            continue
        return COMMANDS.get(arg)
    return None


_whole: typer.Typer | None = None


def __getattr__(name: str):
    global _whole
    if name == "app":
        if _whole is None:
            _whole = build_app()
        return _whole
    raise AttributeError(name)


def usage_error_line(exc: typer.TyperException) -> str:
    """A mistyped command or flag as one line: what was wrong, the closest valid spelling, where help is."""
    ctx = getattr(exc, "ctx", None)
    where = ctx.command_path if ctx is not None else "vidrec"
    message = (exc.message if getattr(exc, "possibilities", None) else exc.format_message()).rstrip(".")
    option = getattr(exc, "option_name", None) if hasattr(exc, "possibilities") else None  # only NoSuchOption
    if option and option.startswith("-") and ctx is not None:
        known = [o for p in ctx.command.params for o in (*p.opts, *p.secondary_opts) if o.startswith("--")]
        close = [o for o in known if o.startswith(option)] or difflib.get_close_matches(option, known, n=1,
                                                                                         cutoff=0.5)
        if close:
            message = f"No such option: {option}; did you mean {close[0]}?"
    elif "Did you mean" in message:  # click already found the closest command
        head, _, guess = message.partition(" Did you mean ")
        message = f"{head.rstrip('.')}; did you mean {guess.rstrip('?')}?"
    return f"{where}: {message} (see `{where} --help`)"


def main() -> None:
    module = command_module(sys.argv[1:])
    app = build_app((module,)) if module else __getattr__("app")
    try:
        code = app(prog_name="vidrec", standalone_mode=False)
    except VidrecError as exc:
        # the message as written: a path or option in it is not markup, and a script reading stderr gets one line
        console.print(f"[red]error:[/] {escape(str(exc))}", markup=True, highlight=False)
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        console.print("aborted")
        sys.exit(130)
    except KeyboardInterrupt:
        console.print("interrupted")
        sys.exit(130)
    except typer.TyperException as exc:  # click's usage errors (and other ClickExceptions) are TyperExceptions
        if type(exc).__name__ == "NoArgsIsHelpError":
            sys.stderr.write(exc.format_message() + "\n")
        elif exc.exit_code == 2:
            sys.stderr.write(f"error: {usage_error_line(exc)}\n")
        else:
            sys.stderr.write(f"error: {exc.format_message()}\n")
        sys.exit(exc.exit_code)
    sys.exit(code if isinstance(code, int) else 0)
