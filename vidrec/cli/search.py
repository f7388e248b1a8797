"""`vidrec search`: one-shot search over a store's catalog."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from vidrec.cli.options import JsonOpt, StoreOpt, existing_store, out, print_json


def register(app: typer.Typer) -> None:
    app.command()(search)


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

    with Library.open(existing_store(store)) as library:
        model = library.trained_model() if user else None
        result = Searcher(library).search(query, k=k if model is None else max(k, RERANK_POOL))
        if model is not None:
            result.results = rerank_hits(result.results, model, user)[:k]
    if as_json:
        print_json(result.to_dict())
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
