"""Recommenders behind one contract (`Recommender`): the baselines and our content-aware sequential model, by name.

make_model("content-seq", dim=64)      load_model("vidrec-data/models/content-seq")

`ours`, the content model's first name, is still understood everywhere a name is (scripts, saved models).
"""

from __future__ import annotations

from typing import Any

from vidrec.errors import InputError
from vidrec.learn.models.base import MODEL_ALIASES, Recommender, canonical_name, read_saved

_NAMES = ("pop", "itemknn", "als", "bpr", "sasrec", "sasrec-ce", "content-seq")
# The one list of model names: `vidrec train/evaluate` and the server's admin train job offer exactly these (and
# the aliases of MODEL_ALIASES)
MODEL_NAMES: tuple[str, ...] = _NAMES
DEFAULT_MODEL = "content-seq"  # what `vidrec train`, POST /v1/admin/train and a scheduled retraining train by default


def model_class(name: str) -> type[Recommender]:
    from vidrec.learn.models.als import ALS
    from vidrec.learn.models.bpr import BPR
    from vidrec.learn.models.content_sequential import ContentSequential
    from vidrec.learn.models.item_knn import ItemKNN
    from vidrec.learn.models.popularity import Popularity
    from vidrec.learn.models.sasrec import SASRec, SASRecCE

    classes: dict[str, type[Recommender]] = {
        c.name: c for c in (Popularity, ItemKNN, ALS, BPR, SASRec, SASRecCE, ContentSequential)
    }
    try:
        return classes[canonical_name(name)]
    except KeyError:
        raise InputError(f"unknown model {name!r}; choose from {', '.join(_NAMES)}") from None


def make_model(name: str, **params: Any) -> Recommender:
    return model_class(name)(**params)


def load_model(path) -> Recommender:
    """Any saved model: its class is the one named in its meta.json."""
    meta, arrays = read_saved(path)
    return model_class(meta["model"]).restore(meta, arrays)


__all__ = ["DEFAULT_MODEL", "MODEL_ALIASES", "MODEL_NAMES", "Recommender", "canonical_name", "load_model", "make_model", "model_class"]
