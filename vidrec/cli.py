"""The `vidrec` command. Kept apart from the library: it parses flags, shows progress and prints results."""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from vidrec.errors import VidrecError

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                  help="vidrec: a conversational recommender that watches product videos.")
items_app = typer.Typer(no_args_is_help=True, help="Look at ingested items.")
app.add_typer(items_app, name="items")
console = Console(stderr=True)
out = Console(highlight=False, soft_wrap=True)

StoreOpt = Annotated[str | None, typer.Option("--store", help="Store directory (default: $VIDREC_HOME or "
                                                                 "./vidrec-data).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON on stdout.")]


def _print_json(data) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


@app.callback()
def _root(verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log details to stderr.")] = False) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)


@app.command()
def ingest(
    catalog: Annotated[Path, typer.Argument(help="A catalog .csv/.jsonl (id, video, title, price, ...) or a folder "
                                                 "of videos.")],
    store: StoreOpt = None,
    workers: Annotated[int | None, typer.Option("--workers", "-w", help="Videos analysed in parallel "
                                                                           "(default: number of cores).")] = None,
    prune: Annotated[bool, typer.Option("--prune", help="Remove stored items that are no longer in the "
                                                        "catalog.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Re-analyse every video even if unchanged.")] = False,
    taxonomy: Annotated[Path | None, typer.Option("--taxonomy", help="Your own categories: one per line, "
                                                                        "synonyms after a TAB.")] = None,
    no_speech: Annotated[bool, typer.Option("--no-speech", help="Skip speech recognition.")] = False,
    no_ocr: Annotated[bool, typer.Option("--no-ocr", help="Skip on-screen text reading.")] = False,
    max_seconds: Annotated[float | None, typer.Option("--max-seconds", help="Cap the work per video "
                                                                               "(default 600 s).")] = None,
    as_json: JsonOpt = False,
    # --- scale out (issue 7) ---
    ray: Annotated[str | None, typer.Option("--ray", help="Analyse on Ray: 'auto' (a running cluster, else a "
                                                           "local Ray), 'local', or a cluster ADDRESS.")] = None,
    metadata_url: Annotated[str | None, typer.Option("--metadata", help="Keep the store's metadata in "
                                                     "PostgreSQL: postgresql://USER@HOST:PORT/DB (default: "
                                                     "$VIDREC_METADATA_URL, else SQLite in the store).")] = None,
    vectors_url: Annotated[str | None, typer.Option("--vectors", help="Keep the vectors in Milvus: "
                                                    "milvus://HOST:PORT[/COLLECTION] or a Milvus Lite FILE.db "
                                                    "(default: $VIDREC_VECTORS_URL, else FAISS in the "
                                                    "store).")] = None,
) -> None:
    """Ingest a catalog: decode, look, listen, read, fuse, index. Incremental and resumable.

    Exit codes: 0 all ingested or skipped; 1 some items or rows failed (the rest is stored); 130 interrupted.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from vidrec.config import load_settings, store_dir
    from vidrec.ingest import ingest as run_ingest
    from vidrec.vocabulary import Taxonomy

    root = store_dir(store)
    settings = load_settings(root / "vidrec.toml")
    _use_backends(metadata_url, vectors_url)
    if no_speech:
        settings.speech = False
    if no_ocr:
        settings.ocr = False
    if max_seconds is not None:
        settings.max_seconds = max_seconds
    tax = Taxonomy.from_file(taxonomy) if taxonomy else None
    with Progress(TextColumn("[bold]ingest"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TextColumn("{task.description}"), console=console, transient=as_json,
                  disable=not console.is_terminal and as_json) as bar:
        task = bar.add_task("", total=None)

        def progress(item_id: str, status: str, done: int, total: int) -> None:
            bar.update(task, total=total, completed=done, description=f"{status}: {item_id}")

        summary = run_ingest(catalog, root, settings=settings, workers=workers, prune=prune, taxonomy=tax,
                             force=force, progress=progress, ray=ray)
    data = summary.to_dict()
    if as_json:
        _print_json(data)
    else:
        out.print(f"[bold]{summary.ingested}[/] ingested, [bold]{summary.skipped}[/] skipped, "
                  f"[bold]{len(summary.failed)}[/] failed, {summary.pruned} pruned "
                  f"({summary.video_seconds:.0f} s of video in {summary.wall_seconds:.1f} s"
                  + (f", {data['realtime_factor']}× real time)" if data["realtime_factor"] else ")"))
        for w in summary.warnings:
            out.print(f"[yellow]warning:[/] {w}")
        for e in summary.row_errors:
            out.print(f"[red]bad row[/] {e['where']}: {e['error']}")
        for f in summary.failed:
            out.print(f"[red]failed[/] {f['id']}: {f['error']}")
    if summary.interrupted:
        raise typer.Exit(130)
    raise typer.Exit(0 if summary.ok else 1)


@items_app.command("show")
def items_show(item_id: Annotated[str, typer.Argument(help="Item id.")], store: StoreOpt = None,
               as_json: JsonOpt = False) -> None:
    """Show one item's fused profile with its evidence."""
    from vidrec.errors import NotFoundError
    from vidrec.library import Library

    with Library.open(_existing_store(store)) as st:
        profile = st.profile(item_id)
    if profile is None:
        raise NotFoundError(f"no item {item_id!r} in this store; list them with `vidrec items list`")
    if as_json:
        _print_json(profile.model_dump())
        return
    out.print(f"[bold]{profile.display_title()}[/]  ({profile.id}, {profile.duration or 0:.1f} s, {profile.video})")
    table = Table("attribute", "value", "confidence", "source", "evidence")
    for name, a in profile.attributes.items():
        ev = "; ".join(f"{e.modality}@{e.start if e.start is not None else '-'}: {e.text or ''}"
                       for e in a.evidence[:2])
        table.add_row(name, str(a.value), f"{a.confidence:.2f}", a.source, ev)
    out.print(table)
    for t in profile.transcript:
        out.print(f"  [cyan]{t.start:6.1f}s[/] ({t.lang}) {t.text}")
    for o in profile.ocr:
        out.print(f"  [magenta]{o.start:6.1f}s[/] [screen] {o.text}")


@items_app.command("list")
def items_list(store: StoreOpt = None, as_json: JsonOpt = False,
               limit: Annotated[int, typer.Option("--limit", help="At most this many.")] = 100) -> None:
    """List ingested items."""
    from vidrec.library import Library

    rows = []
    with Library.open(_existing_store(store)) as st:
        for i, p in enumerate(st.profiles()):
            if i >= limit:
                break
            rows.append({"id": p.id, "title": p.display_title(), "category": p.value("category"),
                         "color": p.value("color"), "price": p.value("price")})
    if as_json:
        _print_json(rows)
        return
    table = Table("id", "title", "category", "color", "price")
    for r in rows:
        table.add_row(r["id"], r["title"], str(r["category"]), str(r["color"]), str(r["price"]))
    out.print(table)


@app.command()
def search(
    query: Annotated[str, typer.Argument(help='What to look for, e.g. "红色连衣裙 300元以内".')],
    store: StoreOpt = None,
    k: Annotated[int, typer.Option("--k", "-k", min=1, max=1000, help="How many results.")] = 10,
    user: Annotated[str | None, typer.Option("--user", help="User id: the store's trained model re-ranks the "
                                                            "results by this user's taste, as in chat.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """One-shot search over the catalog: dense + lexical + filters, with the reason and the second to play."""
    from vidrec.learn.personal import RERANK_POOL, rerank_hits
    from vidrec.library import Library
    from vidrec.recommend.search import Searcher
    from vidrec.vocabulary import colours_match

    with Library.open(_existing_store(store)) as st:
        model = st.trained_model() if user else None
        result = Searcher(st).search(query, k=k if model is None else max(k, RERANK_POOL))
        if model is not None:
            result.results = rerank_hits(result.results, model, user)[:k]
    if as_json:
        _print_json(result.to_dict())
        return
    if result.parsed:
        out.print(f"[dim]understood: {json.dumps(result.parsed, ensure_ascii=False)}[/]")
    if not result.results:
        out.print("no matching items")
    colours = result.parsed.get("colors")
    if result.results and colours and not any(colours_match(h.colors, colours) for h in result.results):
        out.print(f"[yellow]none of these is {' or '.join(colours).lower()}: colour ranks, it does not filter; "
                  "these are the closest[/]")
    for rank, h in enumerate(result.results, 1):
        price = f"¥{h.price:g}" if h.price is not None else "-"
        start = f"▶ {h.start:.1f}s" if h.start is not None else ""
        out.print(f"{rank:2d}. [bold]{h.title}[/] ({h.id}) {price} {start}  [dim]{h.score:.3f}[/]")
        if h.why:
            out.print(f"    {h.why}")


def _use_backends(metadata_url: str | None, vectors_url: str | None) -> None:
    """--metadata / --vectors: Store.open reads them from the environment, so every part of the run agrees
    (a new store records them; later commands find them without the flags)."""
    from vidrec.store import METADATA_ENV, VECTORS_ENV

    if metadata_url:
        os.environ[METADATA_ENV] = metadata_url
    if vectors_url:
        os.environ[VECTORS_ENV] = vectors_url


def _existing_store(store: str | None) -> Path:
    from vidrec.config import store_dir
    from vidrec.errors import StoreError

    root = store_dir(store)
    if not root.exists():
        raise StoreError(f"no store at {root}; run `vidrec ingest CATALOG --store {root}` first")
    return root


def _register_optional() -> None:
    """Commands of the other stages, registered when their modules are installed."""
    import importlib

    for module in ("vidrec.nlu.commands", "vidrec.dialog.commands", "vidrec.learn.commands",
                   "vidrec.server.commands"):
        try:
            mod = importlib.import_module(module)
        except ImportError as exc:
            if exc.name and exc.name.startswith("vidrec"):
                continue
            raise
        if module == "vidrec.nlu.commands":
            mod.register(app, lexicon_loader=_store_lexicon)
        else:
            mod.register(app)


def _store_lexicon():
    """`vidrec parse` speaks the catalog's labels when a store is there ($VIDREC_HOME or ./vidrec-data)."""
    from vidrec.config import store_dir
    from vidrec.library import Library
    from vidrec.store import is_store

    root = store_dir(None)
    if not is_store(root):
        return None
    with Library.open(root) as lib:
        return lib.lexicon()


_register_optional()


def main() -> None:
    try:
        code = app(standalone_mode=False)
    except VidrecError as exc:
        console.print(f"[red]error:[/] {exc}", markup=True, highlight=False)
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        console.print("aborted")
        sys.exit(130)
    except KeyboardInterrupt:
        console.print("interrupted")
        sys.exit(130)
    except Exception as exc:  # click usage errors come as ClickException
        import click

        if isinstance(exc, click.exceptions.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
