"""DELETE /v1/users/{id} on a server that serves a trained user model: the erased id gets a fresh user's
recommendations at once, from the model the server already holds, and nothing of theirs is left in the store."""

from __future__ import annotations

import json

import typer
from conftest import ADMIN_KEY, SHOPPER_KEY
from typer.testing import CliRunner

ERASED = "erase-me-5d2e"  # found nowhere else in the store's files
TASTE = ["d031", "d032", "d033", "d034", "d035"]  # what the erased user bought


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def train_on(store) -> None:
    """Shoppers with tastes recorded in the store, and `vidrec train --store` on them."""
    from vidrec.cli.learn import register
    from vidrec.store import Store

    with Store.open(store) as st:
        for u in range(12):
            group = [f"d{n:03d}" for n in range(1 + 10 * (u % 3), 9 + 10 * (u % 3))]
            for k, item in enumerate(group[u % 2 :: 2] + group[: 3]):
                st.metadata.add_interaction(f"shopper-{u}", item, "like", ts=1e6 + 100 * u + k)
        for k, item in enumerate(TASTE):
            st.metadata.add_interaction(ERASED, item, "buy", ts=2e6 + k, session_id="s-erased")
        st.metadata.add_interaction("shopper-0", "d031", "buy", ts=3e6)
    app = typer.Typer()
    register(app)
    r = CliRunner().invoke(app, ["train", "--store", str(store), "--model", "itemknn", "--json"])
    assert r.exit_code == 0, r.output


def test_an_erased_user_gets_a_fresh_users_recommendations_at_once(make_client, store_copy):
    train_on(store_copy)
    client = make_client(store_copy, admin_key=ADMIN_KEY, api_keys=(SHOPPER_KEY,))
    h = bearer(SHOPPER_KEY)

    def recs(user: str) -> dict:
        r = client.get(f"/v1/users/{user}/recommendations", params={"k": 5}, headers=h)
        assert r.status_code == 200, r.text
        body = r.json()
        return {"source": body["source"], "items": [i["id"] for i in body["items"]]}

    before = recs(ERASED)
    assert before["source"] == "model" and not set(before["items"]) & set(TASTE)
    assert before != recs("fresh-1")
    model = client.app.state.backend.user_model
    assert model is not None and model.knows_user(ERASED)
    assert ERASED.encode() in b"".join(f.read_bytes() for f in store_copy.rglob("*") if f.is_file())

    assert client.delete(f"/v1/users/{ERASED}", headers=bearer(ADMIN_KEY)).status_code == 200
    # nothing of theirs in any file, the saved model's included (asking for the id again claims it anew)
    left = b"".join(f.read_bytes() for f in store_copy.rglob("*") if f.is_file())
    assert ERASED.encode() not in left and b"s-erased" not in left, [
        str(f) for f in store_copy.rglob("*") if f.is_file() and ERASED.encode() in f.read_bytes()]
    assert ERASED not in json.loads((store_copy / "models" / "itemknn" / "meta.json").read_text())["users"]
    assert recs(ERASED) == recs("fresh-2")  # the same server, the same loaded model: a stranger at once
    assert not model.knows_user(ERASED)
    assert client.get("/readyz").json()["personalised"] is True  # everyone else is still served by the model
    assert recs("shopper-1")["source"] == "model"

    # whoever claims the freed id is a new person: their own likes, nothing of the erased history
    for user in (ERASED, "fresh-3"):
        r = client.post("/v1/feedback", json={"user_id": user, "item_id": "d002", "event": "like"}, headers=h)
        assert r.status_code < 300, r.text
    assert recs(ERASED) == recs("fresh-3")
    assert recs(ERASED)["source"] == "model"
