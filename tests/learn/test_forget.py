"""Erasing a user reaches the store's trained model: the model a running Library holds, a model loaded later, the
saved model files, popularity; the next `vidrec train --store` is built without them and lets the id start fresh."""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pytest
from typer.testing import CliRunner

from vidrec.learn.models import make_model
from vidrec.learn.models.base import user_key
from vidrec.learn.personal import rerank_hits, user_taste
from vidrec.learn.store_data import load_store_data, set_current_model
from vidrec.learn.trained import (
    ERASURES_SEEN,
    apply_erasures,
    load_trained_model,
    prune_erasures,
    read_erasures,
    record_erasure,
)
from vidrec.library import Library

from .conftest import make_catalog, make_interactions

ERASED = "erase-me-8c1f"  # a string found nowhere else in the store, so its bytes can be looked for
LIPSTICKS = [f"lipstick-{k}" for k in range(6)]
runner = CliRunner()


@dataclass
class Hit:
    id: str
    score: float


def make_store(path, metadata_url: str | None = None) -> None:
    """A real store (metadata in its SQLite file, or in PostgreSQL): the toy catalog, the toy users' views, and
    ERASED, who bought lipsticks and the one lipstick nobody else touched, after a list of four cards was shown."""
    from vidrec.store import Store
    from vidrec.store.metadata import Interaction

    with Store.open(path, dim=8, metadata=metadata_url) as store:
        meta = store.metadata
        for item_id, text in make_catalog().texts.items():
            c = item_id.split("-")[0]
            meta.upsert_item(item_id, None, None, {"title": text, "category": c}, {"title": text, "category": c})
        inter = make_interactions(n_users=32, per_user=6)
        meta.add_interactions(
            Interaction(inter.users.ids[u], inter.items.ids[i], "view", None, float(t), "s")
            for u, i, t in zip(inter.user, inter.item, inter.timestamp, strict=True)
        )
        for k, item in enumerate([*LIPSTICKS, "lipstick-new"]):
            meta.add_interaction(ERASED, item, "buy", ts=1e6 + k, session_id="chat-erased")
        meta.put_session("chat-erased", {"said": "lipsticks please"}, owner=ERASED)
        meta.log_shown(ERASED, "chat-erased", 0, ["dress-1", "kettle-2", *LIPSTICKS[:2]], ts=1e6 - 1)  # 4 cards shown
        meta.log_shown(inter.users.ids[0], "s", 0, ["dress-2", "kettle-2"], ts=1e6 - 1)


def train(app, store) -> dict:
    r = runner.invoke(app, ["train", "--store", str(store), "--model", "itemknn", "--json"])
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def store_bytes(store) -> bytes:
    return b"".join(f.read_bytes() for f in sorted(store.rglob("*")) if f.is_file())


def hits() -> list[Hit]:
    """Search hits where the lipstick comes last by relevance."""
    ids = ["dress-7", "sneaker-7", "kettle-7", "lipstick-7"]
    return [Hit(i, s) for i, s in zip(ids, [0.50, 0.49, 0.48, 0.47], strict=True)]


def test_an_erased_user_is_a_stranger_to_every_model_and_the_next_training_lets_the_id_start_fresh(tmp_path, app):
    store = tmp_path / "store"
    make_store(store)
    train(app, store)
    assert ERASED.encode() in (store / "models" / "itemknn" / "meta.json").read_bytes()

    with Library.open(store, readonly=False) as lib:
        model = lib.trained_model()
        stranger = model.recommend("stranger", k=8)
        assert model.knows_user(ERASED) and model.recommend(ERASED, k=8) != stranger
        assert rerank_hits(hits(), model, ERASED)[0].id == "lipstick-7"  # the taste moves the lipstick up
        assert "lipstick-new" in lib.popularity()  # counted (and cached) before the erase
        assert ERASED.encode() in store_bytes(store)

        assert len(list(lib.impressions(ERASED))) == 4
        assert lib.erase_user(ERASED) == 12  # seven purchases, four shown cards and the session they own
        assert list(lib.impressions(ERASED)) == [] and len(list(lib.impressions())) == 2  # the others' stay
        # the model this library had already loaded: at once
        assert lib.trained_model() is model and not model.knows_user(ERASED) and model.history(ERASED) == []
        assert model.recommend(ERASED, k=8) == stranger
        np.testing.assert_array_equal(model.score(ERASED), model.score("stranger"))
        assert user_taste(model, ERASED) is None
        assert rerank_hits(hits(), model, ERASED) == hits()  # the chat and search re-rank: relevance alone
        # whoever is given the freed id is served as any new user with their own history
        assert model.recommend(ERASED, k=8, history=["kettle-1"]) == model.recommend("other", k=8,
                                                                                       history=["kettle-1"])
        assert "lipstick-new" not in lib.popularity()  # their events no longer count, without waiting
        # nothing of theirs in the store's files: database, write-ahead log, the saved model (id and history)
        assert ERASED.encode() not in store_bytes(store)
        saved = json.loads((store / "models" / "itemknn" / "meta.json").read_text())
        assert ERASED not in saved["users"] and len(saved["users"]) == len(model.users)
        assert list(read_erasures(lib.store.metadata)["users"]) == [user_key(ERASED)]

    # a model loaded later: by a reopened library, by the loader `vidrec recommend` uses, from the scrubbed files
    with Library.open(store) as lib:
        later = lib.trained_model()
        assert not later.knows_user(ERASED) and later.recommend(ERASED, k=8) == stranger
        assert rerank_hits(hits(), later, ERASED) == hits()
    loaded = load_trained_model(store)
    assert not loaded.knows_user(ERASED) and loaded.forgets(ERASED)
    assert loaded.recommend(ERASED, k=8) == loaded.recommend("stranger", k=8) == stranger
    r = runner.invoke(app, ["recommend", "--user", ERASED, "--k", "8", "--store", str(store), "--json"])
    assert r.exit_code == 0, r.output
    shown = json.loads(r.stdout)
    assert shown["known_user"] is False and [x["id"] for x in shown["items"]] == [i for i, _ in stranger]

    # the next training is built without them and clears the list
    summary = train(app, store)
    assert summary[ERASURES_SEEN] == 1
    with Library.open(store, readonly=False) as lib:
        assert read_erasures(lib.store.metadata)["users"] == {}
        retrained = lib.trained_model()
        assert ERASED not in retrained.users and not retrained.forgets(ERASED)
        # a new person given the same id later: their own events, and the model after that learns them alone
        lib.record(ERASED, "kettle-2", "buy")
        lib.record(ERASED, "kettle-3", "buy")
    train(app, store)
    fresh = load_trained_model(store)
    assert fresh.knows_user(ERASED) and fresh.history(ERASED) == ["kettle-2", "kettle-3"]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_model_forgets_only_the_users_erased_after_its_data_was_read(tmp_path, request, backend):
    from vidrec.store import open_metadata

    store = tmp_path / "store"
    make_store(store, None if backend == "sqlite" else request.getfixturevalue("postgres_url"))
    inter, texts = load_store_data(store)
    meta = open_metadata(store, readonly=False)
    try:
        assert record_erasure(meta, "u1") == 0 and record_erasure(meta, "u2") == 1
        erasures = read_erasures(meta)
        before = make_model("itemknn").fit(inter, texts)  # a file-trained model or one trained before both
        apply_erasures(before, erasures)
        assert not before.knows_user("u1") and not before.knows_user("u2") and before.knows_user("u3")
        between = make_model("itemknn").fit(inter, texts)
        between.fit_info[ERASURES_SEEN] = 1  # its data was read after u1's erasure, before u2's
        apply_erasures(between, erasures)
        assert between.knows_user("u1") and not between.knows_user("u2")

        # pruning keeps an erasure while any saved model of the store was trained before it
        between.save(store / "models" / "itemknn")
        before.save(store / "models" / "pop-old")
        set_current_model(store, "itemknn")
        assert prune_erasures(store, meta) == 2
        (store / "models" / "pop-old" / "meta.json").unlink()
        assert prune_erasures(store, meta) == 1 and list(read_erasures(meta)["users"]) == [user_key("u2")]
    finally:
        meta.close()
    # a saved model keeps what it was told to forget
    assert not load_trained_model(store).knows_user("u2")
    again = make_model("itemknn").fit(inter, texts)
    again.forget_users(["u3"])
    again.save(tmp_path / "copy")
    from vidrec.learn.models import load_model

    assert not load_model(tmp_path / "copy").knows_user("u3") and load_model(tmp_path / "copy").knows_user("u4")


def test_a_library_that_only_reads_learns_of_an_erase_at_refresh_and_factor_rows_are_zeroed(tmp_path):
    store = tmp_path / "store"
    make_store(store)
    inter, texts = load_store_data(store)
    als = make_model("als", factors=8, iterations=5).fit(inter, texts)
    als.save(store / "models" / "als")
    set_current_model(store, "als")
    u = als.users.index[ERASED]
    assert np.abs(np.load(store / "models" / "als" / "arrays.npz")["m.user_factors"][u]).sum() > 0
    with Library.open(store) as reader, Library.open(store, readonly=False) as writer:
        model = reader.trained_model()
        assert model.knows_user(ERASED)
        writer.erase_user(ERASED)  # as another process would: the reader's model is not told
        assert model.knows_user(ERASED)
        reader.refresh()
        assert not model.knows_user(ERASED) and model.recommend(ERASED, k=5) == model.recommend("stranger", k=5)
    saved = np.load(store / "models" / "als" / "arrays.npz")
    assert not saved["m.user_factors"][u].any() and saved["m.user_factors"].any()  # theirs alone is zeroed
    np.testing.assert_array_equal(saved["m.item_factors"], als._state()["item_factors"])
    assert ERASED.encode() not in store_bytes(store)
