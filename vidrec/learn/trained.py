"""The store's trained user model, as everything that serves a user loads it: `vidrec chat`, the server, `vidrec
search --user` and `vidrec recommend` (through `Library.trained_model()` or `load_trained_model(store)`).

`vidrec train` saves a model in `<store>/models/<name>/` and names it in `<store>/models/current`. No model trained
yet is the ordinary case: nothing is logged and users are served without personalisation. A model that is there but
cannot be used (an unreadable or truncated file, a model kind this vidrec does not know, a missing package) is
logged as a warning and users are served without personalisation: a broken model file never keeps the catalogue
from answering. `required=True` (for `vidrec recommend`, whose whole answer is the model's) raises instead.
"""

from __future__ import annotations

import logging
import os

from vidrec.learn.models import Recommender, load_model
from vidrec.learn.store_data import current_model_dir, models_dir

log = logging.getLogger(__name__)


def load_trained_model(store: str | os.PathLike | None = None, name: str | None = None, *,
                       required: bool = False) -> Recommender | None:
    """Model ``name`` (default: the current one) of the store at ``store`` (default `--store` / `$VIDREC_HOME`).

    None when no model was trained, or when it cannot be read (a warning says why); with ``required`` both are
    errors that say what to do instead."""
    root = models_dir(store)
    if name is None and not (root / "current").exists() and not required:
        log.debug("no trained user model in %s; serving without personalisation", root)
        return None
    try:
        folder = current_model_dir(store, name)
        model = load_model(folder)
    except Exception as exc:  # noqa: BLE001 - whatever is wrong with the file, the catalogue goes on answering
        if required:
            raise
        log.warning("the trained user model in %s could not be loaded (%s); serving without personalisation; "
                    "train it again with `vidrec train --store ...`", root, exc)
        return None
    log.info("trained user model %s loaded from %s", model.name, folder)
    return model
