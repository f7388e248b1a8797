"""`vidrec ingest`: a catalog into a store, with a progress bar and a summary (or --json)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from vidrec.cli.options import JsonOpt, StoreOpt, console, out, print_json


def register(app: typer.Typer) -> None:
    app.command()(ingest)


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
    # scale out
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
    from vidrec.config import load_settings, store_dir
    from vidrec.ingest import ingest as run_ingest
    from vidrec.vocabulary import Taxonomy

    root = store_dir(store)
    settings = load_settings(root / "vidrec.toml")
    use_backends(metadata_url, vectors_url)
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
        print_json(data)
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


def use_backends(metadata_url: str | None, vectors_url: str | None) -> None:
    """--metadata / --vectors: Store.open reads them from the environment, so every part of the run agrees
    (a new store records them; later commands find them without the flags)."""
    from vidrec.store import METADATA_ENV, VECTORS_ENV

    if metadata_url:
        os.environ[METADATA_ENV] = metadata_url
    if vectors_url:
        os.environ[VECTORS_ENV] = vectors_url
