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
import logging
from collections import Counter
from pathlib import Path

import numpy as np

from vidrec.config import store_dir
from vidrec.errors import ConfigError, InputError, VidrecError
from vidrec.learn.interactions import Interactions, interactions_from_records
from vidrec.learn.items import ItemTexts
from vidrec.learn.signals import list_dwell, qualified_plays, skipped_pairs

log = logging.getLogger(__name__)

MIN_INTERACTIONS = 20
MIN_USERS = 2  # with at least two events each


class NotEnoughDataError(VidrecError):
    """Too few interactions to train a model on (exit code 7); users are served without one meanwhile."""

    exit_code = 7


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
    # a published model is a link to its version's folder (`vidrec.learn.retrain`): every file from that version
    return folder.resolve() if folder.is_symlink() else folder


def set_current_model(store: str | Path | None, name: str) -> None:
    root = models_dir(store)
    root.mkdir(parents=True, exist_ok=True)
    tmp = root / "current.tmp"
    tmp.write_text(name, encoding="utf-8")
    tmp.replace(root / "current")


def from_store_object(store) -> tuple[Interactions, ItemTexts]:
    """Duck-typed: anything with `items()` (dicts with id, title, profile) and `interactions()` (store rows), and
    optionally `impressions()` (shown cards). Catalog items nobody has touched yet are in the item vocabulary (cold
    start). Plays and shown cards are read as `vidrec.learn.signals` says: short plays dropped, shown-and-skipped
    cards kept as `Interactions.skipped` for the models that take negatives."""
    meta = getattr(store, "metadata", store)
    items = ItemTexts.from_store_items(meta.items())
    durations = {row["id"]: (row.get("profile") or {}).get("duration") for row in meta.items()}
    short: Counter = Counter()
    inter = interactions_from_records(qualified_plays(meta.interactions(), durations, short),
                                      source=f"{getattr(meta, 'where', 'store')}:interactions")
    inter.dropped.update(short)
    inter = inter.with_items(items.ids())
    if hasattr(meta, "impressions"):
        shown = list(meta.impressions())
        positives = set(zip(inter.user.tolist(), inter.item.tolist(), strict=True))
        inter.skipped = skipped_pairs(shown, inter.users, inter.items, positives)
        inter.notes = {"shown cards logged": len(shown), "dwell": dwell_summary(shown, meta.interactions())}
    return inter, items


def dwell_summary(impressions, interactions) -> dict[str, float | int]:
    """How long shown lists stayed on screen before the session's next step (`vidrec.learn.signals.list_dwell`):
    how many lists had a next step, and the median and 90th percentile of their dwell in seconds."""
    dwell = list_dwell(impressions, interactions)
    if not dwell:
        return {"lists": 0}
    return {"lists": len(dwell), "median_s": round(float(np.median(dwell)), 1),
            "p90_s": round(float(np.percentile(dwell, 90)), 1)}


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
        inter, items = from_store_object(meta)
    finally:
        meta.close()
    check_enough(inter, f"the store at {store_dir(store)}")
    items.text_vectors = _stored_text_vectors(store, items.ids())
    return inter, items


def _stored_text_vectors(store: str | Path | None, ids: list[str]) -> dict[str, np.ndarray] | None:
    """The items' text vectors from the store's vector index (what search uses), so training does not load the
    text encoder and embed the catalog again; None (the texts are embedded) when the index cannot be read."""
    from vidrec.store import Store

    try:
        with Store.open(store, create=False, readonly=True) as s:
            found = s.vectors.vectors(list(ids))  # an item's text vector is stored under its id (library.vector_id)
    except Exception as exc:  # noqa: BLE001 - the texts are still there to embed
        log.warning("the store's item vectors could not be read (%s); embedding the item texts instead", exc)
        return None
    return {i: np.asarray(v, dtype=np.float32) for i, v in zip(ids, found, strict=True) if v is not None} or None


def check_enough(data: Interactions, where: str) -> None:
    """NotEnoughDataError below what a model can learn anything from: MIN_INTERACTIONS events and MIN_USERS users
    with at least two events each (one to learn from, one that follows it)."""
    per_user = np.bincount(data.user, minlength=data.n_users)
    users = int((per_user >= 2).sum())
    if len(data) < MIN_INTERACTIONS or users < MIN_USERS:
        raise NotEnoughDataError(
            f"not enough data yet to train on {where}: {len(data)} interactions and {users} users with two or more "
            f"(need at least {MIN_INTERACTIONS} interactions and {MIN_USERS} such users); keep recording likes, "
            f"carts and purchases, and the store's users are served without personalisation meanwhile"
        )


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
