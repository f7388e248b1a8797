"""Shared fixtures: a tiny synthetic catalog with category words in the item texts and users who stick to one
category, and a deterministic hashing text encoder so fast tests never load a real model."""

from __future__ import annotations

import re
import zlib

import numpy as np
import pytest
import torch
import typer

from vidrec.cli.learn import register
from vidrec.learn.interactions import InteractionsBuilder
from vidrec.learn.items import ItemTexts

torch.set_num_threads(1)

CATEGORIES = ("dress", "sneaker", "lipstick", "kettle")
ITEMS_PER_CATEGORY = 10


class HashingEncoder:
    """Bag of words hashed into 64 dims, L2-normalised: texts sharing words get similar vectors."""

    dim = 64

    def encode(self, texts, kind="passage"):
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for r, t in enumerate(texts):
            for w in re.findall(r"\w+", t.lower()):
                h = zlib.crc32(w.encode())
                out[r, h % self.dim] += 1.0 if (h >> 16) & 1 else -1.0
        n = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(n, 1e-12)


def category_of(item_id: str) -> str:
    return item_id.split("-")[0]


def make_catalog(extra_new: bool = True) -> ItemTexts:
    texts = {}
    for c in CATEGORIES:
        for k in range(ITEMS_PER_CATEGORY):
            texts[f"{c}-{k}"] = f"{c} number {k} a nice {c} for everyday"
    if extra_new:  # catalog items nobody has interacted with yet
        for c in CATEGORIES:
            texts[f"{c}-new"] = f"brand new {c} just arrived {c}"
    return ItemTexts(texts)


def make_interactions(n_users: int = 48, per_user: int = 12, seed: int = 0):
    """Each user mostly buys one category (90 %), in time order; a few popular items across the board."""
    rng = np.random.default_rng(seed)
    users, items, ts = [], [], []
    for u in range(n_users):
        cat = CATEGORIES[u % len(CATEGORIES)]
        chosen = rng.permutation(ITEMS_PER_CATEGORY)[:per_user] if per_user <= ITEMS_PER_CATEGORY else None
        picks = []
        for k in range(per_user):
            if rng.random() < 0.9:
                idx = int(chosen[k]) if chosen is not None else int(rng.integers(ITEMS_PER_CATEGORY))
                picks.append(f"{cat}-{idx}")
            else:
                other = CATEGORIES[int(rng.integers(len(CATEGORIES)))]
                picks.append(f"{other}-{int(rng.integers(ITEMS_PER_CATEGORY))}")
        for k, it in enumerate(picks):
            users.append(f"u{u}")
            items.append(it)
            ts.append(1_000_000 + u * 1000 + k * 10)
    b = InteractionsBuilder()
    b.add(users, items, np.array(ts, dtype=np.float64))
    return b.build()


@pytest.fixture(scope="session")
def catalog() -> ItemTexts:
    return make_catalog()


@pytest.fixture(scope="session")
def interactions(catalog):
    return make_interactions(per_user=6).with_items(catalog.ids())


@pytest.fixture()
def encoder() -> HashingEncoder:
    return HashingEncoder()


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("VIDREC_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("VIDREC_HOME", str(tmp_path / "store"))


@pytest.fixture(scope="class")
def progress_calls() -> list[tuple[int, int, str]]:
    """The (done, total, note) progress calls of one test class's fit (see the recommender contract)."""
    return []


def learn_app() -> typer.Typer:
    """A tiny app with the learning commands (the real app wires the same register())."""
    a = typer.Typer()
    register(a)
    return a


@pytest.fixture()
def app() -> typer.Typer:
    return learn_app()
