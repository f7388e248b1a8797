"""`vidrec train` on what real logs look like: too little data yet (exit 7, nothing replaced), unknown item ids,
duplicates, rows out of order or in the future, one-event users, a catalog where every item is new; and a store's
training reuses the item vectors the store already holds instead of loading the text encoder."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest
from typer.testing import CliRunner

from .conftest import make_catalog

runner = CliRunner()


def write_log(path, rows):
    path.write_text("user,item,timestamp\n" + "".join(f"{u},{i},{t}\n" for u, i, t in rows), encoding="utf-8")
    return path


def write_items(path):
    cat = make_catalog()
    path.write_text("id,title\n" + "".join(f"{k},{v}\n" for k, v in cat.texts.items()), encoding="utf-8")
    return path


def few_rows(n_users: int, per_user: int):
    return [(f"u{u}", f"dress-{k}", 1_000 + 10 * u + k) for u in range(n_users) for k in range(per_user)]


@pytest.mark.parametrize(("rows", "said"), [
    (few_rows(2, 9), "18 interactions"),        # enough users, too few events
    (few_rows(1, 10), "1 users with two"),      # ten events of one user (10 distinct items, fewer than 20)
    ([(f"u{u}", "dress-1", 5 + u) for u in range(30)], "0 users with two"),  # thirty one-event users
])
def test_too_little_data_exits_7_and_keeps_the_current_model(app, tmp_path, rows, said):
    store = tmp_path / "store"
    good = write_log(tmp_path / "good.csv", few_rows(6, 6))
    assert runner.invoke(app, ["train", str(good), "--model", "pop", "--store", str(store)]).exit_code == 0
    before = (store / "models" / "current").read_text()
    r = runner.invoke(app, ["train", str(write_log(tmp_path / "few.csv", rows)), "--model", "itemknn",
                            "--store", str(store)])
    assert r.exit_code == 7, r.output
    text = " ".join(r.output.split())
    assert "not enough data yet" in text and said in text and "Traceback" not in text
    assert (store / "models" / "current").read_text() == before == "pop"
    assert not (store / "models" / "itemknn").exists()


def test_messy_log_trains_and_serves(app, tmp_path):
    """Unknown item ids (not in the item file), exact duplicates, rows out of time order, a timestamp in the
    future and users with a single event: the model trains on what is usable and every user gets a list."""
    now = int(time.time())
    rows = few_rows(6, 5)
    rows += rows[:4]                                    # duplicates
    rows = rows[::-1]                                   # out of order
    rows += [("u0", "no-such-item", 1_500), ("u1", "kettle-3", now + 10 * 365 * 86400),  # unknown id, future
             ("loner", "sneaker-2", 2_000), ("loner2", "kettle-1", 2_001)]                 # one-event users
    log = write_log(tmp_path / "messy.csv", rows)
    items = write_items(tmp_path / "items.csv")
    store = tmp_path / "store"
    r = runner.invoke(app, ["train", str(log), "--items", str(items), "--model", "itemknn", "--store", str(store),
                            "--json"])
    assert r.exit_code == 0, r.output
    summary = json.loads(r.stdout)
    assert summary["interactions"]["users"] == 8
    for user in ("u0", "loner", "somebody-new"):
        r = runner.invoke(app, ["recommend", "--user", user, "--k", "3", "--store", str(store), "--json"])
        assert r.exit_code == 0, r.output
        assert len(json.loads(r.stdout)["items"]) == 3


def test_messy_log_says_what_it_set_aside_and_why(app, tmp_path):
    """Each kind of bad row is named with its count, in the JSON summary and in the one line a person reads."""
    now = int(time.time())
    rows = few_rows(6, 5)
    rows += rows[:4]                                                          # 4 duplicates
    rows = rows[::-1]                                                         # out of order: no message needed
    rows += [("u0", "no-such-item", 1_500), ("u2", "gone-item", 1_600),        # 2 ids the item file lacks
             ("u1", "kettle-3", now + 10 * 365 * 86400), ("u3", "kettle-4", now * 1000),  # future (s, ms)
             ("loner", "sneaker-2", 2_000), ("loner2", "kettle-1", 2_001)]    # 2 one-event users
    log = write_log(tmp_path / "messy.csv", rows)
    items = write_items(tmp_path / "items.csv")
    args = ["train", str(log), "--items", str(items), "--model", "pop", "--store", str(tmp_path / "store")]
    summary = json.loads(runner.invoke(app, [*args, "--json"]).stdout)["interactions"]
    assert summary["dropped"] == {"repeated (user, item), collapsed": 4,
                                  "dated more than a day in the future (left out)": 2}
    assert summary["users_with_one_event"] == 2
    assert summary["notes"] == {"items not in the item file (learned by id only, no content)": 2}
    text = " ".join(runner.invoke(app, args).output.split())
    for said in ("4 repeated (user, item), collapsed", "2 dated more than a day in the future (left out)",
                 "2 users with a single event", "2 items not in the item file"):
        assert said in text, text


def test_a_catalog_of_only_new_items_serves_a_default(app, tmp_path):
    """Interactions name items the catalog does not know at all (every catalog item is new): training says what it
    did; recommend for a stranger still answers."""
    log = write_log(tmp_path / "old.csv", [(f"u{u}", f"retired-{(u + k) % 7}", 10 * u + k)
                                           for u in range(5) for k in range(5)])
    store = tmp_path / "store"
    r = runner.invoke(app, ["train", str(log), "--items", str(write_items(tmp_path / "items.csv")),
                            "--model", "pop", "--store", str(store)])
    assert r.exit_code == 0, r.output
    assert "7 items not in the item file (learned by id only, no content)" in " ".join(r.output.split())
    r = runner.invoke(app, ["recommend", "--user", "new-person", "--k", "2", "--store", str(store), "--json"])
    assert r.exit_code == 0, r.output
    assert len(json.loads(r.stdout)["items"]) == 2


def test_store_training_uses_the_stored_item_vectors(app, tmp_path, monkeypatch):
    """content-seq from a store never loads the text encoder when the store holds every item's text vector, and
    the content it learns from is those vectors."""
    import vidrec.encoders.text as text_module
    from vidrec.learn.items import content_features
    from vidrec.learn.store_data import load_store_data
    from vidrec.library import vector_id

    from .test_personal import make_store

    store = tmp_path / "store"
    make_store(store)
    from vidrec.store import Store

    rng = np.random.default_rng(0)
    ids = make_catalog().ids()
    vectors = rng.normal(size=(len(ids), 8)).astype(np.float32)
    with Store.open(store) as s:
        s.vectors.add([vector_id(i) for i in ids], vectors, [{"item_id": i} for i in ids])
        s.save()

    def no_encoder(*a, **k):
        raise AssertionError("the text encoder was loaded")

    monkeypatch.setattr(text_module, "default_text_encoder", no_encoder)
    inter, texts = load_store_data(store)
    feats = content_features(inter.items.ids, texts, cache=False)
    row = inter.items.ids.index("kettle-2")
    expected = vectors[ids.index("kettle-2")]
    assert np.allclose(feats[row], expected / np.linalg.norm(expected), atol=1e-5)
    r = runner.invoke(app, ["train", "--store", str(store), "--model", "content-seq", "--max-epochs", "1"])
    assert r.exit_code == 0, r.output
