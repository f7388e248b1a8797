"""Retraining under readers: `vidrec train --store` swaps the new model in atomically (a reader loading while it
publishes always gets a whole model) and a long-running Library picks the new model up without a restart."""

from __future__ import annotations

import threading

import pytest
from typer.testing import CliRunner

from vidrec.learn.models import load_model
from vidrec.learn.store_data import current_model_dir

from .conftest import learn_app
from .test_personal import make_store

runner = CliRunner()


def train(store, model: str) -> None:
    r = runner.invoke(learn_app(), ["train", "--store", str(store), "--model", model])
    assert r.exit_code == 0, r.output


def test_a_running_library_serves_the_newly_trained_model(tmp_path, monkeypatch):
    import vidrec.library as library_module
    from vidrec.library import Library

    monkeypatch.setattr(library_module, "MODEL_CHECK_S", 0.0)
    store = tmp_path / "store"
    make_store(store)
    lib = Library.open(store, readonly=True)
    try:
        assert lib.trained_model() is None
        train(store, "pop")
        assert lib.trained_model().name == "pop"
        train(store, "itemknn")
        assert lib.trained_model().name == "itemknn"
        first = lib.trained_model()
        train(store, "itemknn")  # the same kind trained again is a new model too
        assert lib.trained_model() is not first
    finally:
        lib.close()


def test_readers_never_see_half_a_model_while_it_is_replaced(tmp_path):
    store = tmp_path / "store"
    make_store(store)
    (store / "models" / "itemknn").mkdir(parents=True)  # a model folder saved in place by an earlier vidrec
    train(store, "itemknn")
    folder = store / "models" / "itemknn"
    assert folder.is_symlink()
    errors: list[BaseException] = []
    loads = [0]
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            try:
                m = load_model(current_model_dir(store))
                assert m.recommend("shopper", k=3)
                loads[0] += 1
            except BaseException as exc:  # noqa: BLE001 - collected and failed on below
                errors.append(exc)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for _ in range(4):
            train(store, "itemknn")
    finally:
        stop.set()
        reader.join()
    assert not errors, errors[:3]
    assert loads[0] > 0
    versions = [p.name for p in (store / "models").iterdir() if p.name.startswith(".itemknn.v")]
    assert len(versions) == 2 and folder.resolve().name == max(versions, key=lambda v: int(v.split(".v")[1]))


@pytest.mark.slow
def test_a_running_server_ranks_with_the_newly_trained_model(demo_store, tmp_path, monkeypatch):
    import shutil

    import vidrec.library as library_module
    from vidrec.server.backend import Backend
    from vidrec.server.settings import ServerSettings
    from vidrec.store import Interaction, Store

    monkeypatch.setattr(library_module, "MODEL_CHECK_S", 0.0)
    store = tmp_path / "store"
    shutil.copytree(demo_store, store, ignore=shutil.ignore_patterns("write.lock", "models"))
    with Store.open(store) as s:
        ids = [r["id"] for r in s.metadata.items()]
        s.metadata.add_interactions(Interaction(f"u{u}", ids[(u + k) % len(ids)], "like", None, 1e9 + 10 * u + k,
                                                None) for u in range(6) for k in range(5))
    backend = Backend(ServerSettings.from_env(store, env={}))
    backend.open()
    try:
        with backend.use() as live:
            assert live.engine.user_model is None and backend.status()["personalised"] is False
        train(store, "itemknn")  # beside the running server, which holds the store's writer lock
        with backend.use() as live:
            assert live.engine.user_model is not None and live.engine.user_model.name == "itemknn"
        assert backend.status()["personalised"] is True
    finally:
        backend.close()
