"""The one loader of a store's trained model (chat, server, search --user and recommend use it), the content
model's name and its old alias, what a user's taste does to a ranking, and the one event-weight table."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

import numpy as np
import pytest
from typer.testing import CliRunner

from vidrec.learn.interactions import EVENT_STRENGTH, NEGATIVE_EVENTS, event_weight
from vidrec.learn.models import MODEL_NAMES, canonical_name, make_model, model_class
from vidrec.learn.models.base import Recommender
from vidrec.learn.personal import USER_MODEL_WEIGHT, rerank_hits, taste_boost
from vidrec.learn.store_data import set_current_model
from vidrec.learn.trained import load_trained_model

from .conftest import HashingEncoder
from .test_models import SEQ

runner = CliRunner()


def knn(interactions, catalog):
    return make_model("itemknn", neighbours=20).fit(interactions, catalog)


def test_no_model_is_no_error_and_says_nothing(tmp_path, caplog):
    with caplog.at_level(logging.DEBUG, logger="vidrec.learn.trained"):
        assert load_trained_model(tmp_path / "store") is None
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_the_current_model_is_loaded(tmp_path, interactions, catalog):
    store = tmp_path / "store"
    m = knn(interactions, catalog)
    m.save(store / "models" / "itemknn")
    set_current_model(store, "itemknn")
    loaded = load_trained_model(store)
    assert loaded is not None and loaded.name == "itemknn"
    np.testing.assert_allclose(loaded.score("u3"), m.score("u3"), rtol=1e-6)


@pytest.mark.parametrize("damage", ["garbage meta", "truncated arrays", "unknown kind", "missing folder"])
def test_a_broken_model_is_a_warning_and_no_model(tmp_path, interactions, catalog, caplog, damage):
    store = tmp_path / "store"
    folder = store / "models" / "itemknn"
    knn(interactions, catalog).save(folder)
    set_current_model(store, "itemknn")
    if damage == "garbage meta":
        (folder / "meta.json").write_text("{not json", encoding="utf-8")
    elif damage == "truncated arrays":
        data = (folder / "arrays.npz").read_bytes()
        (folder / "arrays.npz").write_bytes(data[: len(data) // 3])
    elif damage == "unknown kind":
        meta = json.loads((folder / "meta.json").read_text())
        (folder / "meta.json").write_text(json.dumps({**meta, "model": "from-the-future"}))
    else:
        set_current_model(store, "deleted-since")
    with caplog.at_level(logging.WARNING, logger="vidrec.learn.trained"):
        assert load_trained_model(store) is None
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "without personalisation" in warnings[0]
    with pytest.raises(Exception):  # noqa: B017 - what `vidrec recommend` shows is the error itself
        load_trained_model(store, required=True)


def test_required_without_a_model_says_to_train(tmp_path):
    from vidrec.errors import ConfigError

    with pytest.raises(ConfigError, match="vidrec train"):
        load_trained_model(tmp_path / "store", required=True)


def test_the_content_model_is_content_seq_and_ours_still_names_it(tmp_path, interactions, catalog):
    assert "content-seq" in MODEL_NAMES and "ours" not in MODEL_NAMES
    assert canonical_name("ours") == "content-seq" and canonical_name("als") == "als"
    assert model_class("ours") is model_class("content-seq")
    m = make_model("ours", content_hidden=0, **{**SEQ, "max_epochs": 2})
    assert m.name == "content-seq"
    m.encoder = HashingEncoder()
    m.fit(interactions, catalog)
    # a model saved before the rename: meta.json says "ours", its folder is models/ours, `current` names it so
    store = tmp_path / "store"
    m.save(store / "models" / "ours")
    meta_path = store / "models" / "ours" / "meta.json"
    meta_path.write_text(json.dumps({**json.loads(meta_path.read_text()), "model": "ours"}))
    set_current_model(store, "ours")
    old = load_trained_model(store)
    assert old is not None and old.name == "content-seq"
    np.testing.assert_allclose(old.score("u1"), m.score("u1"), rtol=1e-5, atol=1e-6)
    assert Recommender.load(store / "models" / "ours").name == "content-seq"


def test_train_ours_saves_content_seq_and_recommend_finds_it_by_either_name(app, tmp_path, monkeypatch):
    from . import conftest

    monkeypatch.setattr("vidrec.encoders.text.default_text_encoder", conftest.HashingEncoder)
    inter = conftest.make_interactions(n_users=24, per_user=6)
    log = tmp_path / "log.csv"
    log.write_text("user,item,timestamp\n" + "".join(
        f"{inter.users.ids[u]},{inter.items.ids[i]},{int(t)}\n"
        for u, i, t in zip(inter.user, inter.item, inter.timestamp, strict=True)), encoding="utf-8")
    items = tmp_path / "items.csv"
    items.write_text("id,title\n" + "".join(f"{k},{v}\n" for k, v in conftest.make_catalog().texts.items()),
                     encoding="utf-8")
    store = tmp_path / "store"
    r = runner.invoke(app, ["train", str(log), "--model", "ours", "--items", str(items), "--store", str(store),
                            "--max-epochs", "2", "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["model"] == "content-seq"
    assert (store / "models" / "content-seq" / "meta.json").exists() and not (store / "models" / "ours").exists()
    assert (store / "models" / "current").read_text() == "content-seq"
    got = {}
    for name in (None, "ours", "content-seq"):
        args = ["recommend", "--user", "u1", "--k", "3", "--store", str(store), "--json"]
        r = runner.invoke(app, args + (["--model", name] if name else []))
        assert r.exit_code == 0, r.output
        got[name] = json.loads(r.stdout)
    assert got[None]["model"] == "content-seq" and got[None] == got["ours"] == got["content-seq"]
    r = runner.invoke(app, ["evaluate", str(log), "--models", "pop,ours", "--items", str(items), "--k", "5",
                            "--bootstrap", "10", "--json"])
    assert r.exit_code == 0, r.output  # scripts that evaluate "ours" still run


def test_recommend_says_what_is_wrong_with_a_broken_model(app, tmp_path, interactions, catalog):
    store = tmp_path / "store"
    knn(interactions, catalog).save(store / "models" / "itemknn")
    set_current_model(store, "itemknn")
    (store / "models" / "itemknn" / "arrays.npz").write_bytes(b"not a zip")
    r = runner.invoke(app, ["recommend", "--user", "u1", "--store", str(store)])
    assert r.exit_code == 5 and "unreadable" in r.output and "Traceback" not in r.output


def test_the_one_event_weight_table():
    # the strengths the trained models learn from, for summing events too
    for event, strength in EVENT_STRENGTH.items():
        assert event_weight(event) == float(strength)
    assert event_weight("view") == 1.0 < event_weight("like") < event_weight("cart") < event_weight("buy") == 4.0
    assert event_weight(" Purchase ") == 4.0
    for event in NEGATIVE_EVENTS:
        assert event_weight(event) == -event_weight("view")
    assert event_weight("teleport") == 0.0


def test_taste_moves_relevance_by_its_z_score():
    boost = taste_boost([1.0, 2.0, 3.0])
    np.testing.assert_allclose(boost, USER_MODEL_WEIGHT * np.array([-1.2247449, 0.0, 1.2247449]), rtol=1e-6)
    assert taste_boost([2.0, 2.0]) is None and taste_boost([1.0, np.nan]) is None and taste_boost([]) is None
    # an item the model has never seen (ingested after training) gets average taste, the others still count
    np.testing.assert_allclose(taste_boost([1.0, np.nan, 3.0]), USER_MODEL_WEIGHT * np.array([-1.0, 0.0, 1.0]))


@dataclass
class Hit:
    id: str
    score: float


def test_search_hits_are_reranked_toward_the_users_history(interactions, catalog):
    m = knn(interactions, catalog)
    user = "u1"  # sticks to one category (conftest)
    liked = {i.split("-")[0] for i in m.history(user)}
    assert len(liked) <= 2
    favourite = max(liked, key=lambda c: sum(i.startswith(c) for i in m.history(user)))
    others = [f"{c}-9" for c in ("dress", "sneaker", "lipstick", "kettle") if c != favourite]
    ids = [*others, f"{favourite}-9"]  # the user's kind of item comes last by relevance
    hits = [Hit(i, s) for i, s in zip(ids, [0.50, 0.49, 0.48, 0.47], strict=True)]
    ranked = rerank_hits([Hit(h.id, h.score) for h in hits], m, user)
    assert ranked[0].id == f"{favourite}-9"
    assert ranked[0].score > 0.47
    stranger = rerank_hits([Hit(h.id, h.score) for h in hits], m, "nobody-at-all")
    assert stranger == hits  # the model knows nothing about them: relevance alone, as without a model
    assert rerank_hits([], m, user) == []
