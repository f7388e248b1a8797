"""Recommenders behind one contract (`Recommender`): baselines and ours, by name.

make_model("ours", dim=64)      load_model("vidrec-data/models/ours")
"""

from __future__ import annotations

from typing import Any

from vidrec.errors import InputError
from vidrec.learn.models.base import Recommender

_NAMES = ("pop", "itemknn", "als", "bpr", "sasrec", "sasrec-ce", "ours")
MODEL_NAMES: tuple[str, ...] = _NAMES


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
        return classes[name]
    except KeyError:
        raise InputError(f"unknown model {name!r}; choose from {', '.join(_NAMES)}") from None


def make_model(name: str, **params: Any) -> Recommender:
    return model_class(name)(**params)


def load_model(path) -> Recommender:
    return Recommender.load(path)


__all__ = ["MODEL_NAMES", "Recommender", "load_model", "make_model", "model_class"]
