"""POST /v1/admin/train retrains the user model while the server serves: 202 and a job to poll; too little data
is a failed job that says what is missing (the server goes on without a model); enough data and the next request
ranks with the new model, no restart."""

from __future__ import annotations

import time

from conftest import ADMIN_KEY

ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}


def wait(client, job_id: str) -> dict:
    for _ in range(600):
        job = client.get(f"/v1/admin/train/{job_id}", headers=ADMIN).json()
        if job["state"] != "running":
            return job
        time.sleep(0.1)
    raise AssertionError(f"train job {job_id} still running")


def start(client, model: str) -> dict:
    r = client.post("/v1/admin/train", json={"model": model}, headers=ADMIN)
    assert r.status_code == 202, r.text
    assert r.headers["Location"] == f"/v1/admin/train/{r.json()['id']}"
    return wait(client, r.json()["id"])


def test_admin_train_needs_the_admin_key_and_a_known_model(client):
    assert client.post("/v1/admin/train", json={"model": "pop"}).status_code in (401, 403)
    r = client.post("/v1/admin/train", json={"model": "magic"}, headers=ADMIN)
    assert r.status_code == 422 and "unknown model" in r.json()["message"]
    assert client.get("/v1/admin/train/0123456789abcdef", headers=ADMIN).status_code == 404


def test_admin_train_swaps_the_model_in_without_a_restart(client, store_copy):
    r = client.post("/v1/sessions", json={})
    assert r.status_code == 201, r.text
    shopper = {"Authorization": f"Bearer {r.json()['client_token']}"}
    ids = [f"d{n:03d}" for n in range(1, 37)]

    def record(users: range) -> None:  # what the page's buttons send
        for u in users:
            for k in range(5):
                r = client.post("/v1/feedback", json={"user_id": f"u{u}", "item_id": ids[(3 * u + k) % len(ids)],
                                                      "event": "like"}, headers=shopper)
                assert r.status_code < 300, r.text

    record(range(1))
    job = start(client, "itemknn")
    assert job["state"] == "failed" and "not enough data yet" in job["error"], job
    assert client.get("/v1/users/u0/recommendations", headers=shopper).status_code == 200  # without a model

    record(range(1, 6))
    job = start(client, "itemknn")
    assert job["state"] == "finished" and job["summary"]["model"] == "itemknn", job
    time.sleep(2.1)  # Library.trained_model looks for a new model at most every 2 s
    r = client.get("/v1/users/u0/recommendations", headers=shopper)
    assert r.status_code == 200, r.text
    assert "trained user model" in r.text, r.json()


def test_the_retrain_interval_is_read_and_checked():
    import pytest

    from vidrec.errors import ConfigError
    from vidrec.server.routes.train import retrain_interval_s

    assert retrain_interval_s({}) is None and retrain_interval_s({"VIDREC_RETRAIN_INTERVAL": "0"}) is None
    assert retrain_interval_s({"VIDREC_RETRAIN_INTERVAL": "6h"}) == 6 * 3600
    with pytest.raises(ConfigError, match="VIDREC_RETRAIN_INTERVAL"):
        retrain_interval_s({"VIDREC_RETRAIN_INTERVAL": "often"})


def test_a_scheduled_retraining_trains_the_current_kind_and_survives_too_little_data(client, store_copy):
    from vidrec.server.routes.train import retrain_once

    assert retrain_once(store_copy) is None  # no interactions yet: logged, nothing raised
    r = client.post("/v1/sessions", json={})
    shopper = {"Authorization": f"Bearer {r.json()['client_token']}"}
    for u in range(5):
        for k in range(5):
            client.post("/v1/feedback", json={"user_id": f"s{u}", "item_id": f"d{(4 * u + k) % 36 + 1:03d}",
                                              "event": "cart"}, headers=shopper)
    (store_copy / "models").mkdir(exist_ok=True)
    (store_copy / "models" / "current").write_text("pop", encoding="utf-8")
    summary = retrain_once(store_copy)
    assert summary is not None and summary["model"] == "pop" and summary["interactions"]["users"] == 5


def test_the_api_offers_the_models_the_cli_offers(client):
    """One list of model names (vidrec.learn.models.MODEL_NAMES) for `vidrec train --model` and the train job."""
    from typer.testing import CliRunner

    from vidrec.cli import app
    from vidrec.learn.models import MODEL_NAMES

    assert "sasrec-ce" in MODEL_NAMES
    schema = client.get("/openapi.json").json()["components"]["schemas"]["TrainIn"]["properties"]["model"]
    assert set(MODEL_NAMES) | {"ours"} == set(schema["enum"])
    help_text = " ".join(CliRunner().invoke(app, ["train", "--help"], terminal_width=200).output.split())
    assert all(name in help_text for name in MODEL_NAMES), help_text
    for name in (*MODEL_NAMES, "ours"):
        job = start(client, name)  # accepted; this store has no interactions yet, so each job says so
        assert job["state"] == "failed" and "no interactions yet" in job["error"], (name, job["error"])
        assert job["model"] == ("content-seq" if name == "ours" else name)
