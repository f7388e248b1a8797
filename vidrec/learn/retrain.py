"""Retraining without downtime: a new model is published beside the one being served and swapped in atomically.

`publish(model, items, folder)` saves the model into a fresh hidden sibling folder (`.NAME.v<ns>`), syncs it to
disk, then points `folder` (a symbolic link) at it with one `os.replace`: a process loading the model sees the
old one or the new one, never half of each. The version the link replaced is kept until the next publish (a
reader that resolved the link just before the swap still reads it whole). A store trained before
this (a plain folder at `models/NAME`) is moved aside once and becomes a link from then on.

`model_version(store)` names what `models/current` serves now (the pointer, the folder it resolves to and the
model file's time), so a long-running reader (`Library.trained_model`) notices a new model and loads it without
a restart.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from vidrec.learn.store_data import models_dir, save_item_titles


def _fsync_tree(folder: Path) -> None:
    for p in folder.iterdir():
        if p.is_file():
            fd = os.open(p, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
    _fsync_dir(folder)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish(model, items, folder: str | os.PathLike) -> Path:
    """Save ``model`` (and the item titles of ``items``) as ``folder``, atomically; the folder it now points at."""
    folder = Path(folder)
    parent = folder.parent
    parent.mkdir(parents=True, exist_ok=True)
    version = parent / f".{folder.name}.v{time.time_ns()}"
    model.save(version)
    save_item_titles(version, items)
    _fsync_tree(version)
    old = folder.resolve() if folder.is_symlink() else None
    if folder.exists() and not folder.is_symlink():  # a model saved in place by an earlier vidrec
        old = parent / f".{folder.name}.v0-{time.time_ns()}"
        folder.rename(old)
    link = parent / f".{folder.name}.link-{os.getpid()}-{time.time_ns()}"
    os.symlink(version.name, link)
    os.replace(link, folder)
    _fsync_dir(parent)
    # the version just replaced stays until the next publish: a reader that resolved the link before the swap
    # reads it whole; older ones go
    keep = {version.resolve(), *([old] if old is not None else [])}
    for p in parent.glob(f".{folder.name}.v*"):
        if p.resolve() not in keep:
            shutil.rmtree(p, ignore_errors=True)
    return version


def model_version(store: str | os.PathLike | None = None) -> tuple | None:
    """What the store's `models/current` serves now, as a value that changes whenever a new model is published
    (or the pointer moves); None when no model is there."""
    root = models_dir(store)
    try:
        name = (root / "current").read_text(encoding="utf-8").strip()
        current = (root / "current").stat().st_mtime_ns
    except OSError:
        return None
    target = root / name
    try:
        meta = (target / "meta.json").stat().st_mtime_ns
    except OSError:
        meta = None
    return name, current, os.path.realpath(target), meta


def train_store(store: str | os.PathLike, model: str | None = None, *, seed: int = 0) -> dict:
    """Train ``model`` on the store's recorded interactions and publish it as the store's current model (what
    `vidrec train --store` and the server's admin train job do); a summary. NotEnoughDataError below the minimum,
    and the model being served stays."""
    from vidrec.learn.models import DEFAULT_MODEL, canonical_name, model_class
    from vidrec.learn.store_data import load_store_data, set_current_model
    from vidrec.learn.trained import ERASURES_SEEN, erasures_seen, prune_erasures
    from vidrec.store import open_metadata

    name = canonical_name(model or DEFAULT_MODEL)
    meta = open_metadata(store)
    try:
        seen = erasures_seen(meta)  # before the interactions (see vidrec.learn.trained)
    finally:
        meta.close()
    data, texts = load_store_data(store)
    m = model_class(name)(seed=seed)
    m.fit(data, texts)
    m.fit_info[ERASURES_SEEN] = seen
    publish(m, texts, models_dir(store) / name)
    set_current_model(store, name)
    meta = open_metadata(store, readonly=False)
    try:
        prune_erasures(store, meta)
    finally:
        meta.close()
    return {"model": name, "train_seconds": m.fit_seconds, "interactions": data.summary()}
