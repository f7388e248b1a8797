"""The store's trained user model, as everything that serves a user loads it: `vidrec chat`, the server, `vidrec
search --user` and `vidrec recommend` (through `Library.trained_model()` or `load_trained_model(store)`).

`vidrec train` saves a model in `<store>/models/<name>/` and names it in `<store>/models/current`. No model trained
yet is the ordinary case: nothing is logged and users are served without personalisation. A model that is there but
cannot be used (an unreadable or truncated file, a model kind this vidrec does not know, a missing package) is
logged as a warning and users are served without personalisation: a broken model file never keeps the catalogue
from answering. `required=True` (for `vidrec recommend`, whose whole answer is the model's) raises instead.

Erased users (`Library.erase_user`) are forgotten by every model the store serves, at once and until training no
longer needs it:
- the store's metadata keeps an erasure list, `user_key` hashes (never the ids) each with its erasure number;
- a model trained from the store remembers how many erasures had been recorded when its data was read
  (`fit_info["erasures_seen"]`); the loader makes it forget the users erased since (a model trained from a file
  forgets every listed user), and `Library.erase_user` tells the model a process has already loaded;
- the erased id, training history and user-factor row are cut out of the saved models' files
  (`scrub_saved_models`);
- `vidrec train --store` drops from the list the erasures every saved model of the store has seen
  (`prune_erasures`): a later user with the same id is a new person and is served as one.
What a trained model keeps until its next training are aggregates: the item counts its popularity fallback uses
and learned weights such as item embeddings, which the user's events helped shape (a model loaded before the erase
also keeps their user-factor row in memory, where no id leads to it any more).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from vidrec.config import store_dir
from vidrec.learn.models import Recommender, load_model
from vidrec.learn.models.base import read_saved, user_key
from vidrec.learn.store_data import current_model_dir, models_dir

if TYPE_CHECKING:
    from vidrec.store.metadata import MetadataStore

log = logging.getLogger(__name__)

ERASURES_KEY = "erased_users"  # meta: {"count": erasures recorded so far, "users": {user_key: erasure number}}
ERASURES_SEEN = "erasures_seen"  # a model's fit_info: the erasure count when its training data was read
USER_ROW_ARRAYS = ("m.user_factors",)  # saved arrays with one row per training user


def load_trained_model(store: str | os.PathLike | None = None, name: str | None = None, *,
                       required: bool = False, metadata: MetadataStore | None = None) -> Recommender | None:
    """Model ``name`` (default: the current one) of the store at ``store`` (default `--store` / `$VIDREC_HOME`),
    with the users erased since its training forgotten (read from ``metadata`` when the caller has the store's
    metadata open, else from the store).

    None when no model was trained, or when it or the store's erasure list cannot be read (a warning says why);
    with ``required`` both are errors that say what to do instead."""
    root = models_dir(store)
    if name is None and not (root / "current").exists() and not required:
        log.debug("no trained user model in %s; serving without personalisation", root)
        return None
    try:
        folder = current_model_dir(store, name)
        model = load_model(folder)
        apply_erasures(model, _erasures(store, metadata))
    except Exception as exc:  # noqa: BLE001 - whatever is wrong with the file, the catalogue goes on answering
        if required:
            raise
        log.warning("the trained user model in %s could not be loaded (%s); serving without personalisation; "
                    "train it again with `vidrec train --store ...`", root, exc)
        return None
    log.info("trained user model %s loaded from %s", model.name, folder)
    return model


# ------------------------------------------------------------------------------------------------ erasures


def read_erasures(metadata: MetadataStore) -> dict[str, Any]:
    """The store's erasure list: {"count": int, "users": {user_key: erasure number}}."""
    value = metadata.get_meta(ERASURES_KEY) or {}
    return {"count": int(value.get("count", 0)), "users": dict(value.get("users", {}))}


def _erasures(store: str | os.PathLike | None, metadata: MetadataStore | None) -> dict[str, Any]:
    if metadata is not None:
        return read_erasures(metadata)
    from vidrec.store import is_store, open_metadata

    if not is_store(store_dir(store)):  # models without a catalogue beside them: nobody was erased through it
        return {"count": 0, "users": {}}
    meta = open_metadata(store)
    try:
        return read_erasures(meta)
    finally:
        meta.close()


def record_erasure(metadata: MetadataStore, user_id: str) -> int:
    """Add an erased user to the store's list (by `user_key`); their erasure number."""
    with metadata.transaction():
        erasures = read_erasures(metadata)
        number = erasures["count"]
        erasures["users"][user_key(user_id)] = number
        erasures["count"] = number + 1
        metadata.set_meta(ERASURES_KEY, erasures)
    return number


def erasures_seen(metadata: MetadataStore) -> int:
    """What a model trained on the store's interactions read now has seen: the number of erasures so far. Read
    it before the interactions: an erasure recorded later may or may not be in the data, so it stays forgotten."""
    return read_erasures(metadata)["count"]


def apply_erasures(model: Recommender, erasures: dict[str, Any]) -> None:
    """Make ``model`` forget the listed users erased after its training data was read (all of them for a model
    that was not trained from the store)."""
    seen = int(model.fit_info.get(ERASURES_SEEN, 0) or 0)
    model.forget_user_keys(k for k, number in erasures["users"].items() if number >= seen)


def _saved_models(store: str | os.PathLike | None, *, served_only: bool = False) -> Iterator[tuple[Path, Path]]:
    """(folder, its meta.json) of every model saved in the store, in name order: with ``served_only`` the ones a
    name leads to, else also the hidden versions `vidrec.learn.retrain.publish` keeps for readers."""
    root = models_dir(store)
    for folder in sorted(root.iterdir()) if root.is_dir() else ():
        if served_only and folder.name.startswith("."):
            continue
        if (folder / "meta.json").is_file():
            yield folder, folder / "meta.json"


def prune_erasures(store: str | os.PathLike | None, metadata: MetadataStore) -> int:
    """Drop from the erasure list the users every saved model of the store was trained without (after `vidrec
    train --store`); how many are left. A model folder whose meta.json cannot be read keeps them all."""
    marks = []
    for _, meta_path in _saved_models(store, served_only=True):
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            marks.append(int((meta.get("fit_info") or {}).get(ERASURES_SEEN, 0) or 0))
        except (OSError, ValueError, TypeError, AttributeError):
            marks.append(0)
    floor = min(marks, default=0)
    with metadata.transaction():
        erasures = read_erasures(metadata)
        erasures["users"] = {k: n for k, n in erasures["users"].items() if n >= floor}
        metadata.set_meta(ERASURES_KEY, erasures)
    return len(erasures["users"])


def scrub_saved_models(store: str | os.PathLike | None, user_id: str) -> list[str]:
    """Cut an erased user out of every saved model of the store: their id (replaced by a placeholder made from
    `user_key`), their training history and their user-factor row (zeroed). The names of the models changed."""
    changed = []
    user = str(user_id)
    for folder, meta_path in _saved_models(store):
        try:
            if user not in json.loads(meta_path.read_text(encoding="utf-8")).get("users", []):
                continue
            meta, arrays = read_saved(folder)
        except Exception as exc:  # noqa: BLE001 - the erasure list keeps this model from using the user anyway
            log.warning("could not check the saved model in %s for an erased user (%s)", folder, exc)
            continue
        users = list(meta["users"])
        u = users.index(user)
        users[u] = f"erased:{user_key(user)[:32]}"
        offsets = np.asarray(arrays["hist_offsets"], dtype=np.int64)
        start, end = int(offsets[u]), int(offsets[u + 1])
        arrays["hist_items"] = np.concatenate([arrays["hist_items"][:start], arrays["hist_items"][end:]])
        offsets = offsets.copy()
        offsets[u + 1 :] -= end - start
        arrays["hist_offsets"] = offsets
        for name in USER_ROW_ARRAYS:  # their embedding (ALS, BPR): no longer theirs, so nobody's
            rows = arrays.get(name)
            if rows is not None and rows.ndim == 2 and rows.shape[0] == len(users):
                rows = rows.copy()
                rows[u] = 0
                arrays[name] = rows
        tmp = folder / "arrays.tmp.npz"
        np.savez(tmp, **arrays)
        tmp.replace(folder / "arrays.npz")
        tmp_meta = folder / "meta.json.tmp"
        tmp_meta.write_text(json.dumps({**meta, "users": users}, ensure_ascii=False), encoding="utf-8")
        tmp_meta.replace(meta_path)
        changed.append(folder.name)
    return changed
