"""`vidrec doctor`: check that a store's derived indexes (vectors, keywords, feature files) match its items, and
repair what the store itself can rebuild."""

from __future__ import annotations

from typing import Annotated

import typer

from vidrec.cli.options import JsonOpt, StoreOpt, existing_store, out, print_json


def register(app: typer.Typer) -> None:
    app.command()(doctor)


def doctor(
    store: StoreOpt = None,
    repair: Annotated[bool, typer.Option("--repair", help="Rebuild what is missing from what the store keeps "
                                                          "(keyword entries from the items' profiles, vectors "
                                                          "from their saved features) and remove orphans; takes "
                                                          "the store's writer lock.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Check a store: for each derived index (vectors, keywords, features) the items it lacks and the entries of
    items that are gone, and whether a projection fit was killed halfway (--repair fits it again).

    Exit codes: 0 consistent; 1 not (after --repair: what is left, e.g. items only a new ingest can re-analyse).
    """
    from vidrec.errors import StoreError
    from vidrec.ingest.consistency import check_store
    from vidrec.ingest.features import FeatureFiles
    from vidrec.ingest.writer import StoreWriter
    from vidrec.store import Store, is_store, writer_pid

    root = existing_store(store)
    if not is_store(root):
        raise StoreError(f"{root} is not a vidrec store; pass the folder `vidrec ingest --store` wrote")
    repaired: dict[str, int] = {}
    closed: list[str] = []
    if repair:
        writer = StoreWriter.open(root)  # opening repairs; see StoreWriter.repair
        try:
            repaired, closed = writer.repaired, writer.interrupted_runs
            check = writer.check()
            if check.projection_unfinished:  # a fit killed halfway: fit again and re-project every item
                from vidrec.ingest.alignment import fit_catalog_projection

                report = fit_catalog_projection(writer, force=True)
                repaired = {**repaired, "projection_refitted": int(report.fitted)}
                check = writer.check()
        finally:
            writer.close()
    else:
        active = writer_pid(root)
        with Store.open(root, create=False, readonly=True, rebuilding=True) as opened:
            check = check_store(opened, FeatureFiles(root / "features", create=False))
        check.writer_pid = active
    if as_json:
        print_json({**check.to_dict(), "repaired": repaired, "closed_runs": closed})
    else:
        verdict = "[green]consistent[/]" if check.ok else "[red]not consistent[/]"
        out.print(f"store {check.store}: {check.items} items, {verdict}")
        if check.writer_pid is not None:
            out.print(f"[yellow]note:[/] process {check.writer_pid} is writing this store; what it has not saved "
                      f"yet shows as missing")
        for index in check.indexes.values():
            out.print(("  ok      " if index.ok else "  PROBLEM ") + index.describe())
        if check.awaiting_analysis:
            out.print(f"  {len(check.awaiting_analysis)} items wait to be analysed again (their features were "
                      f"lost): run `vidrec ingest CATALOG --store {root}` with their catalog")
        if check.projection_unfinished:
            out.print("  PROBLEM projection: a fit of the image→text projection was killed halfway, so the items' "
                      "picture vectors are partly re-projected; `vidrec doctor --repair` (or the next ingest) fits it "
                      "again")
        if check.unfinished_runs:
            out.print(f"  {len(check.unfinished_runs)} ingest runs never finished (killed?); the next ingest or "
                      f"`vidrec doctor --repair` marks them interrupted")
        if repaired:
            out.print("repaired: " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in repaired.items()))
        if closed:
            out.print(f"marked {len(closed)} unfinished runs interrupted")
        if not check.ok and not repair:
            out.print(f"run `vidrec doctor --store {root} --repair` to rebuild what the store can")
    raise typer.Exit(0 if check.ok else 1)
