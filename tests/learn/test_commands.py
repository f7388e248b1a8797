"""The CLI commands through typer's CliRunner on a tiny app built here (the real app wires the same register())."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from vidrec.cli.learn import parse_ks, parse_models

from .conftest import make_catalog, make_interactions


@pytest.fixture()
def files(tmp_path):
    inter = make_interactions(n_users=24, per_user=6)
    lines = ["user,item,timestamp"]
    for u, i, t in zip(inter.user, inter.item, inter.timestamp, strict=True):
        lines.append(f"{inter.users.ids[u]},{inter.items.ids[i]},{int(t)}")
    log = tmp_path / "log.csv"
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    cat = make_catalog()
    items = tmp_path / "items.csv"
    items.write_text("id,title\n" + "".join(f"{k},{v}\n" for k, v in cat.texts.items()), encoding="utf-8")
    return log, items


runner = CliRunner()


def test_train_then_recommend(app, files, tmp_path):
    log, items = files
    store = tmp_path / "store"
    r = runner.invoke(app, ["train", str(log), "--model", "itemknn", "--store", str(store), "--json"])
    assert r.exit_code == 0, r.output
    summary = json.loads(r.stdout)
    assert summary["model"] == "itemknn" and summary["interactions"]["users"] == 24
    assert (store / "models" / "current").read_text() == "itemknn"

    r = runner.invoke(app, ["recommend", "--user", "u0", "--k", "3", "--store", str(store), "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["known_user"] is True and out["fallback"] is None and len(out["items"]) == 3

    r = runner.invoke(app, ["recommend", "--user", "nobody", "--store", str(store), "--json"])
    assert r.exit_code == 0
    out = json.loads(r.stdout)
    assert out["fallback"] == "popular" and "unknown user" in out["message"]

    r = runner.invoke(app, ["recommend", "--user", "nobody", "--k", "2", "--store", str(store)])
    assert r.exit_code == 0
    assert "unknown user 'nobody': showing the most popular items" in r.output


def test_recommend_shows_titles_not_the_model_text(app, files, tmp_path):
    """The model learns from a long text per item (title, category, description, transcript...); a person reading
    `recommend` sees the title alone, whether the items came from the store's profiles or from an item file."""
    from vidrec.store import Store
    from vidrec.store.metadata import Interaction

    log, _ = files
    inter = make_interactions(n_users=24, per_user=6)
    long_text = "a long description of the product " * 40
    store = tmp_path / "store"
    with Store.open(store, dim=8) as opened:
        for item_id in make_catalog().ids():
            c = item_id.split("-")[0]
            profile = {"title": f"Title of {item_id}", "category": c, "description": long_text,
                       "attributes": {"colour": {"value": "red", "confidence": 0.9}}, "transcript": long_text}
            opened.metadata.upsert_item(item_id, None, None, profile, {"title": f"Title of {item_id}", "category": c})
        opened.metadata.add_interactions(
            Interaction(inter.users.ids[u], inter.items.ids[i], "view", None, float(t), "s")
            for u, i, t in zip(inter.user, inter.item, inter.timestamp, strict=True)
        )
    r = runner.invoke(app, ["train", "--store", str(store), "--model", "itemknn"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["recommend", "--user", "u0", "--k", "4", "--store", str(store), "--json"])
    assert r.exit_code == 0, r.output
    shown = json.loads(r.stdout)["items"]
    assert len(shown) == 4 and [x["title"] for x in shown] == [f"Title of {x['id']}" for x in shown]
    r = runner.invoke(app, ["recommend", "--user", "u0", "--k", "4", "--store", str(store)])
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert len(lines) == 4 and all(f"Title of {x['id']}" in line for x, line in zip(shown, lines, strict=True))
    assert "description" not in r.stdout and "red" not in r.stdout

    items = tmp_path / "items-with-more.csv"
    items.write_text(
        "id,title,category,description\n"
        + "".join(f"{i},Film {i},{i.split('-')[0]},{long_text}\n" for i in make_catalog().ids()),
        encoding="utf-8",
    )
    out = tmp_path / "from-file"
    r = runner.invoke(app, ["train", str(log), "--items", str(items), "--model", "itemknn", "--out", str(out)])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["recommend", "--user", "u0", "--k", "3", "--model-dir", str(out), "--json"])
    assert r.exit_code == 0, r.output
    shown = json.loads(r.stdout)["items"]
    assert len(shown) == 3 and [x["title"] for x in shown] == [f"Film {x['id']}" for x in shown]


def test_train_ours_with_items_and_out(app, files, tmp_path, monkeypatch):
    from . import conftest

    monkeypatch.setattr("vidrec.encoders.text.default_text_encoder", conftest.HashingEncoder)
    log, items = files
    out = tmp_path / "m"
    r = runner.invoke(
        app,
        ["train", str(log), "--model", "ours", "--items", str(items), "--out", str(out), "--max-epochs", "2"],
    )
    assert r.exit_code == 0, r.output
    assert (out / "meta.json").exists() and (out / "items.json").exists()
    r = runner.invoke(app, ["recommend", "--user", "u1", "--model-dir", str(out), "--k", "2"])
    assert r.exit_code == 0, r.output
    assert "1." in r.stdout and "2." in r.stdout
    assert json.loads((out / "meta.json").read_text())["params"]["use_id"] is True
    content_only = tmp_path / "content-only"
    r = runner.invoke(app, ["train", str(log), "--model", "ours", "--items", str(items), "--out", str(content_only),
                            "--max-epochs", "2", "--content-only"])
    assert r.exit_code == 0, r.output
    assert json.loads((content_only / "meta.json").read_text())["params"]["use_id"] is False


def test_evaluate_json(app, files, tmp_path):
    log, _ = files
    out = tmp_path / "res.json"
    r = runner.invoke(
        app,
        [
            "evaluate",
            str(log),
            "--models",
            "pop,itemknn",
            "--k",
            "5,10",
            "--json",
            "--out",
            str(out),
            "--bootstrap",
            "50",
        ],
    )
    assert r.exit_code == 0, r.output
    res = json.loads(r.stdout)
    assert set(res["models"]) == {"pop", "itemknn"}
    m = res["models"]["itemknn"]
    assert {
        "ndcg@10",
        "recall@5",
        "hr@10",
        "precision@5",
        "f1@10",
        "ci95",
        "cold_start",
        "train_seconds",
    } <= set(m)
    assert res["split"]["test"] == 24
    assert json.loads(out.read_text()) == res
    r = runner.invoke(app, ["evaluate", str(log), "--models", "pop", "--k", "5", "--bootstrap", "20"])
    assert r.exit_code == 0 and "pop" in r.stdout


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["evaluate", "LOG", "--k", "ten"], 2, "--k takes whole numbers"),
        (["evaluate", "LOG", "--models", "pop,magic"], 2, "unknown model"),
        (["evaluate", "LOG", "--models", "ours"], 2, "need item texts"),
        (["evaluate", "missing.csv", "--models", "pop"], 2, "no such file"),
        (["train", "LOG", "--model", "pop", "--max-epochs", "3"], 2, "sequential models"),
        (["train", "LOG", "--model", "als", "--content-only"], 2, "content model"),
        (["evaluate", "--store", "EMPTY", "--models", "pop"], 5, "no vidrec store"),
        (["train", "--store", "BARE", "--model", "pop"], 2, "recorded no interactions"),
        (["recommend", "--user", "u1", "--store", "EMPTY"], 2, "no trained model"),
        (["recommend", "--user", "u1", "--k", "0"], 2, "positive"),
    ],
)
def test_bad_input_exits_with_a_message(app, files, tmp_path, args, code, message):
    log, _ = files
    if "BARE" in args:  # a store with items but nobody has used it yet
        from vidrec.store import Store

        Store.open(tmp_path / "bare", dim=8).close()
    args = [str(log) if a == "LOG" else str(tmp_path / "empty") if a == "EMPTY" else
            str(tmp_path / "bare") if a == "BARE" else a for a in args]
    r = runner.invoke(app, args)
    assert r.exit_code == code, r.output
    assert message in r.output
    assert "Traceback" not in r.output


def test_parsers():
    assert parse_ks("20,5,10,5") == [5, 10, 20]
    assert parse_models("pop, als,pop") == ["pop", "als"]
