"""Training data from a vidrec store: the interactions chat sessions recorded and the items' fused profiles.

The store keeps `interactions(user_id, item_id, event, value, ts, session_id)` and `items(id, title, profile_json,
category, brand, price, ..., deleted)` in `<store>/vidrec.sqlite`. They are read here straight from SQLite, read-only
and streamed with a cursor, so training needs neither the store's writer nor the whole table in memory. Objects
that offer `interactions()` and `items()` iterators (the `Store` API) work too, through `from_store_object`.
Trained models live in `<store>/models/<name>/`; `<store>/models/current` names the one chat and search use.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from vidrec.config import store_dir
from vidrec.errors import ConfigError, InputError, StoreError
from vidrec.learn.interactions import Interactions, interactions_from_records
from vidrec.learn.items import ItemTexts

DB_NAME = "vidrec.sqlite"


def models_dir(store: str | Path | None = None) -> Path:
    return store_dir(store) / "models"


def current_model_dir(store: str | Path | None = None, name: str | None = None) -> Path:
    """The folder of model `name`, or of the current model when name is None."""
    root = models_dir(store)
    if name is None:
        pointer = root / "current"
        if not pointer.exists():
            raise ConfigError(
                f"no trained model in {root}; run `vidrec train INTERACTIONS --store {store_dir(store)}` first"
            )
        name = pointer.read_text(encoding="utf-8").strip()
    return root / name


def set_current_model(store: str | Path | None, name: str) -> None:
    root = models_dir(store)
    root.mkdir(parents=True, exist_ok=True)
    tmp = root / "current.tmp"
    tmp.write_text(name, encoding="utf-8")
    tmp.replace(root / "current")


def _connect(store: str | Path | None) -> sqlite3.Connection:
    db = store_dir(store) / DB_NAME
    if not db.exists():
        raise StoreError(
            f"{db}: no vidrec store here; ingest a catalog first or pass --store with the right folder"
        )
    try:
        return sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    except sqlite3.Error as exc:
        raise StoreError(f"{db}: cannot open the store ({exc})") from exc


def _columns(con: sqlite3.Connection, table: str) -> list[str]:
    return [r[1] for r in con.execute(f"PRAGMA table_info({table})")]


def store_interactions(store: str | Path | None = None) -> Interactions:
    """Every recorded interaction in the store (same rules as the file loader)."""
    con = _connect(store)
    try:
        cols = _columns(con, "interactions")
        if not cols:
            raise InputError(
                f"{store_dir(store)}: the store has no interactions table yet; chat with --user first"
            )
        cur = con.execute("SELECT user_id, item_id, event, value, ts FROM interactions")
        return interactions_from_records(cur, source=f"{store_dir(store) / DB_NAME}:interactions")
    except sqlite3.Error as exc:
        raise StoreError(f"{store_dir(store)}: cannot read interactions ({exc})") from exc
    finally:
        con.close()


def _store_item_rows(con: sqlite3.Connection) -> Iterator[dict]:
    cols = _columns(con, "items")
    if not cols:
        return
    wanted = [c for c in ("id", "title", "profile_json", "category", "brand", "price") if c in cols]
    where = " WHERE deleted IS NULL OR deleted = 0" if "deleted" in cols else ""
    cur = con.execute(f"SELECT {', '.join(wanted)} FROM items{where}")  # noqa: S608 - names from PRAGMA
    for row in cur:
        yield dict(zip(wanted, row, strict=True))


def store_item_texts(store: str | Path | None = None) -> ItemTexts:
    con = _connect(store)
    try:
        return ItemTexts.from_store_items(_store_item_rows(con))
    except sqlite3.Error as exc:
        raise StoreError(f"{store_dir(store)}: cannot read items ({exc})") from exc
    finally:
        con.close()


def from_store_object(store) -> tuple[Interactions, ItemTexts]:
    """Duck-typed: anything with `items()` (dicts with id, title, profile) and `interactions()` (store rows)."""
    meta = getattr(store, "metadata", store)
    items = ItemTexts.from_store_items(meta.items())
    inter = interactions_from_records(meta.interactions())
    return inter.with_items(items.ids()), items


def load_store_data(store: str | Path | None = None) -> tuple[Interactions, ItemTexts]:
    """Interactions plus item texts; catalog items nobody has touched yet are in the item vocabulary (cold start)."""
    items = store_item_texts(store)
    inter = store_interactions(store)
    return inter.with_items(items.ids()), items


def save_item_titles(folder: Path, items: ItemTexts | None) -> None:
    """Keep the item texts next to a trained model so `recommend` can show titles without the catalog."""
    if items is None:
        return
    tmp = folder / "items.json.tmp"
    tmp.write_text(json.dumps(items.texts, ensure_ascii=False), encoding="utf-8")
    tmp.replace(folder / "items.json")


def load_item_titles(folder: Path) -> dict[str, str]:
    p = folder / "items.json"
    if not p.exists():
        return {}
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}
