"""Interactions recorded in a store flow into training, and the trained model re-ranks for a user with a history."""

from __future__ import annotations

import json

import numpy as np
import pytest

from vidrec.learn.models import make_model
from vidrec.learn.personal import PersonalRanker
from vidrec.learn.store_data import load_store_data, set_current_model

from .conftest import CATEGORIES, HashingEncoder, make_catalog, make_interactions


@pytest.fixture(params=["sqlite", "postgresql"])
def metadata_url(request) -> str | None:
    """Where a test store keeps its metadata: its own SQLite file, or a real PostgreSQL database."""
    return None if request.param == "sqlite" else request.getfixturevalue("postgres_url")


def make_store(path, metadata_url=None):
    """A real vidrec store (metadata on SQLite or PostgreSQL) filled from the toy data: items with profiles, one
    deleted item, the toy users' views and a chat shopper who looked at and bought kettles only."""
    from vidrec.store import Store
    from vidrec.store.metadata import Interaction

    with Store.open(path, dim=8, metadata=metadata_url) as store:
        meta = store.metadata
        for item_id, text in make_catalog().texts.items():
            c = item_id.split("-")[0]
            meta.upsert_item(
                item_id, None, None, {"title": text, "category": c, "colors": ["red"]},
                {"title": text, "category": c, "price": 10.0},
            )
        meta.upsert_item("gone", None, None, {"title": "deleted thing"}, {"category": "x"})
        meta.delete_items(["gone"])
        inter = make_interactions(n_users=32, per_user=6)
        meta.add_interactions(
            Interaction(inter.users.ids[u], inter.items.ids[i], "view", None, float(t), "s")
            for u, i, t in zip(inter.user, inter.item, inter.timestamp, strict=True)
        )
        for k, item in enumerate(["kettle-0", "kettle-1", "kettle-2", "kettle-3"]):
            meta.add_interaction(
                "shopper", item, "purchase" if k == 3 else "view", ts=1.7e9 + k, session_id="chat-1"
            )
        meta.add_interaction("shopper", "dress-0", "reject", ts=1.0, session_id="chat-1")


def test_store_interactions_flow_into_training_and_rerank(tmp_path, metadata_url):
    store = tmp_path / "store"
    make_store(store, metadata_url)
    inter, texts = load_store_data(store)
    assert "shopper" in inter.users.index and "gone" not in texts
    assert "dress-new" in inter.items.index  # catalog item nobody touched: still rankable
    shopper_items = [inter.items.ids[i] for i in inter.sequences()[inter.users.index["shopper"]]]
    assert shopper_items == [
        "kettle-0",
        "kettle-1",
        "kettle-2",
        "kettle-3",
    ]  # the rejected dress is no positive

    m = make_model(
        "ours",
        dim=16,
        max_len=8,
        layers=1,
        heads=1,
        max_epochs=10,
        patience=10,
        lr=0.01,
        batch_size=16,
        content_hidden=0,
    )
    m.encoder = HashingEncoder()
    m.fit(inter, texts)
    m.save(store / "models" / "ours")
    set_current_model(store, "ours")

    ranker = PersonalRanker.open(store)
    assert ranker is not None and ranker.knows("shopper")
    # a search result list where kettles come last
    candidates = [f"{c}-{k}" for c in ("dress", "sneaker", "lipstick") for k in range(6, 8)] + [
        "kettle-8",
        "kettle-new",
    ]
    relevance = list(np.linspace(1.0, 0.5, len(candidates)))
    ranked = list(zip(candidates, relevance, strict=True))
    for_shopper = [i for i, _ in ranker.rerank("shopper", ranked, weight=0.6)]
    assert for_shopper[0].startswith("kettle")
    for k in ("kettle-8", "kettle-new"):  # both climb from the bottom of the list
        assert for_shopper.index(k) < candidates.index(k) - 2
    assert set(for_shopper[:2]) == {"kettle-8", "kettle-new"} or ranker.rerank("shopper", ranked, weight=0.9)[
        1
    ][0].startswith("kettle")
    # a stranger without history: unchanged, and the ranker says it does not know them
    assert not ranker.knows("stranger")
    assert [i for i, _ in ranker.rerank("stranger", ranked)] == candidates
    # a new chat user who brings a history gets it used
    guest = [i for i, _ in ranker.rerank("guest", ranked, weight=0.6, history=["kettle-4", "kettle-5"])]
    assert guest[:2] != candidates[:2]


def test_no_model_means_no_ranker(tmp_path):
    assert PersonalRanker.open(tmp_path / "nothing") is None


def test_user_category_scores(tmp_path):
    store = tmp_path / "store"
    make_store(store)
    inter, texts = load_store_data(store)
    m = make_model("als", factors=8, iterations=10).fit(inter, texts)
    ranker = PersonalRanker(m)
    s = ranker.scores("u1", [f"{c}-9" for c in CATEGORIES])
    assert max(s, key=s.get) == f"{CATEGORIES[1]}-9"


def test_chat_interactions_in_the_real_store_train_the_model_that_recommend_uses(tmp_path, metadata_url):
    """MetadataStore.add_interaction (what chat sessions call) -> `vidrec train --store` -> `vidrec recommend --user`,
    with the metadata in SQLite or PostgreSQL: a shopper whose sessions were all kettles gets kettles, a stranger
    gets the popular list and is told so; `vidrec evaluate --store` reads the same interactions."""
    import typer
    from typer.testing import CliRunner

    from vidrec.cli.learn import register
    from vidrec.store import Store

    store = tmp_path / "store"
    opened = Store.open(store, dim=8, metadata=metadata_url)
    meta = opened.metadata
    for item_id, text in make_catalog().texts.items():
        c = item_id.split("-")[0]
        meta.upsert_item(item_id, None, None, {"title": text, "category": c}, {"title": text, "category": c})
    inter = make_interactions(n_users=32, per_user=6)
    for u, i, t in zip(inter.user, inter.item, inter.timestamp, strict=True):
        meta.add_interaction(inter.users.ids[u], inter.items.ids[i], "view", ts=float(t), session_id="s")
    for k in range(6):  # the shopper's chat sessions: kettles only, one dress rejected
        meta.add_interaction("shopper", f"kettle-{k}", "view", ts=1e6 + k, session_id="chat-1")
    meta.add_interaction("shopper", "dress-0", "reject", ts=1e6 + 7, session_id="chat-1")
    opened.close()

    app = typer.Typer()
    register(app)
    runner = CliRunner()
    r = runner.invoke(app, ["train", "--store", str(store), "--model", "itemknn", "--json"])
    assert r.exit_code == 0, r.output
    trained = json.loads(r.stdout)
    assert trained["interactions"]["users"] == 33  # the 32 toy users and the shopper, all read from the store
    r = runner.invoke(
        app, ["evaluate", "--store", str(store), "--models", "pop,itemknn", "--bootstrap", "50", "--json"]
    )
    assert r.exit_code == 0, r.output
    evaluated = json.loads(r.stdout)
    assert evaluated["split"]["users"] == 33 and set(evaluated["models"]) == {"pop", "itemknn"}

    def top(user: str) -> dict:
        res = runner.invoke(app, ["recommend", "--user", user, "--k", "4", "--store", str(store), "--json"])
        assert res.exit_code == 0, res.output
        return json.loads(res.stdout)

    shopper, stranger = top("shopper"), top("stranger")
    assert shopper["known_user"] and shopper["fallback"] is None
    shopper_ids = [x["id"] for x in shopper["items"]]
    assert all(i.startswith("kettle") for i in shopper_ids[:3]), shopper_ids
    assert not set(shopper_ids) & {f"kettle-{k}" for k in range(6)}  # what they already saw is left out
    assert stranger["fallback"] == "popular" and "unknown user" in stranger["message"]
    assert [x["id"] for x in stranger["items"]] != shopper_ids  # the history changed the ranking

    # the same model behind the re-ranker chat and search use: kettles climb for the shopper only
    ranker = PersonalRanker.open(store)
    ranked = list(zip(["dress-7", "sneaker-7", "lipstick-7", "kettle-8"], [1.0, 0.9, 0.8, 0.7], strict=True))
    assert ranker.rerank("shopper", ranked, weight=0.6)[0][0] == "kettle-8"
    assert [i for i, _ in ranker.rerank("stranger", ranked, weight=0.6)] == [i for i, _ in ranked]
