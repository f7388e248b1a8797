"""Training data from a vidrec store: the interactions chat sessions recorded and the items' fused profiles.

Read through the store's metadata backend (`vidrec.store.open_metadata`: `<store>/vidrec.sqlite`, or the PostgreSQL
database the store records), read-only and page by page, so training needs neither the store's writer, nor its
vector index, nor the whole table in memory. Objects that offer `interactions()` and `items()` iterators (the
`Store` API) work too, through `from_store_object`.
Trained models live in `<store>/models/<name>/`; `<store>/models/current` names the one chat, the server, search
and recommend use (loaded by `vidrec.learn.trained`).
"""

from __future__ import annotations

import json
from pathlib import Path

from vidrec.config import store_dir
from vidrec.errors import ConfigError, InputError
from vidrec.learn.interactions import Interactions, interactions_from_records
from vidrec.learn.items import ItemTexts


def models_dir(store: str | Path | None = None) -> Path:
    return store_dir(store) / "models"


def current_model_dir(store: str | Path | None = None, name: str | None = None) -> Path:
    """The folder of model `name`, or of the current model when name is None. A model saved under an earlier
    name of its kind (`ours`) is found by either name."""
    root = models_dir(store)
    if name is None:
        pointer = root / "current"
        if not pointer.exists():
            raise ConfigError(
                f"no trained model in {root}; run `vidrec train INTERACTIONS --store {store_dir(store)}` first"
            )
        name = pointer.read_text(encoding="utf-8").strip()
    from vidrec.learn.models import canonical_name

    folder = root / name
    if not folder.exists() and (root / canonical_name(name)).exists():
        folder = root / canonical_name(name)
    return folder


def set_current_model(store: str | Path | None, name: str) -> None:
    root = models_dir(store)
    root.mkdir(parents=True, exist_ok=True)
    tmp = root / "current.tmp"
    tmp.write_text(name, encoding="utf-8")
    tmp.replace(root / "current")


def from_store_object(store) -> tuple[Interactions, ItemTexts]:
    """Duck-typed: anything with `items()` (dicts with id, title, profile) and `interactions()` (store rows).
    Catalog items nobody has touched yet are in the item vocabulary (cold start)."""
    meta = getattr(store, "metadata", store)
    items = ItemTexts.from_store_items(meta.items())
    inter = interactions_from_records(meta.interactions(), source=f"{getattr(meta, 'where', 'store')}:interactions")
    return inter.with_items(items.ids()), items


def load_store_data(store: str | Path | None = None) -> tuple[Interactions, ItemTexts]:
    """Interactions plus item texts of the store in `store` (default `--store` / `$VIDREC_HOME`), whichever
    metadata backend it uses."""
    from vidrec.store import open_metadata

    meta = open_metadata(store)
    try:
        if next(iter(meta.interactions()), None) is None:
            raise InputError(
                f"{meta.where}: the store has recorded no interactions yet; chat with --user (or record likes and "
                f"purchases through the API) first, or pass an interactions file"
            )
        return from_store_object(meta)
    finally:
        meta.close()


def save_item_titles(folder: Path, items: ItemTexts | None) -> None:
    """Keep the item titles next to a trained model so `recommend` can show them without the catalog. An item
    without a title is left out (recommend shows its id alone) rather than shown by its whole model text."""
    if items is None:
        return
    titles = {i: t for i, t in (items.titles or {}).items() if t}
    tmp = folder / "items.json.tmp"
    tmp.write_text(json.dumps(titles, ensure_ascii=False), encoding="utf-8")
    tmp.replace(folder / "items.json")


def load_item_titles(folder: Path) -> dict[str, str]:
    p = folder / "items.json"
    if not p.exists():
        return {}
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}
