"""`vidrec items show|list`: look at ingested items."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from vidrec.cli.options import JsonOpt, StoreOpt, existing_store, out, print_json


def register(app: typer.Typer) -> None:
    items_app = typer.Typer(no_args_is_help=True, help="Look at ingested items.")
    items_app.command("show")(items_show)
    items_app.command("list")(items_list)
    app.add_typer(items_app, name="items")


def items_show(item_id: Annotated[str, typer.Argument(help="Item id.")], store: StoreOpt = None,
               as_json: JsonOpt = False) -> None:
    """Show one item's fused profile with its evidence."""
    from vidrec.errors import NotFoundError
    from vidrec.library import Library

    with Library.open(existing_store(store)) as library:
        profile = library.profile(item_id)
    if profile is None:
        raise NotFoundError(f"no item {item_id!r} in this store; list them with `vidrec items list`")
    if as_json:
        print_json(profile.model_dump())
        return
    out.print(f"[bold]{profile.display_title()}[/]  ({profile.id}, {profile.duration or 0:.1f} s, {profile.video})")
    table = Table("attribute", "value", "confidence", "source", "evidence")
    for name, a in profile.attributes.items():
        ev = "; ".join(f"{e.modality}@{e.start if e.start is not None else '-'}: {e.text or ''}"
                       for e in a.evidence[:2])
        # a calibrated value shows its probability; one more likely wrong than right says so
        value = f"{a.value} (unsure)" if a.unsure else str(a.value)
        conf = f"p={a.probability:.2f}" if a.probability is not None else f"{a.confidence:.2f}"
        table.add_row(name, value, conf, a.source, ev)
    out.print(table)
    unsure = [name for name, a in profile.attributes.items() if a.unsure and name != "colors"]
    if unsure:
        out.print(f"unsure (more likely wrong than right; a soft preference in search, never a filter): "
                  f"{', '.join(unsure)}")
    for t in profile.transcript:
        out.print(f"  [cyan]{t.start:6.1f}s[/] ({t.lang}) {t.text}")
    for o in profile.ocr:
        out.print(f"  [magenta]{o.start:6.1f}s[/] [screen] {o.text}")


def items_list(store: StoreOpt = None, as_json: JsonOpt = False,
               limit: Annotated[int, typer.Option("--limit", help="At most this many.")] = 100) -> None:
    """List ingested items."""
    from vidrec.library import Library

    rows = []
    with Library.open(existing_store(store)) as library:
        for i, p in enumerate(library.profiles()):
            if i >= limit:
                break
            rows.append({"id": p.id, "title": p.display_title(), "category": p.value("category"),
                         "color": p.value("color"), "price": p.value("price"),
                         "unsure": [n for n, a in p.attributes.items() if a.unsure and n != "colors"]})
    if as_json:
        print_json(rows)
        return
    table = Table("id", "title", "category", "color", "price")
    for r in rows:
        table.add_row(r["id"], r["title"], str(r["category"]) + (" ?" if "category" in r["unsure"] else ""),
                      str(r["color"]) + (" ?" if "color" in r["unsure"] else ""), str(r["price"]))
    out.print(table)
