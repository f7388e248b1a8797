"""`vidrec chat --user U --jsonl` with the store's trained model: the ranking leans toward what U has done before;
a broken model file is a warning and the chat still answers. Subprocesses, as a shopper's terminal runs it."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo"
MESSAGES = ["show me some clothes", "any is fine", "more", "more"]
FAN = "hoodie-fan"
TASTE = "Hoodie"


def chat(store: Path, user: str = FAN, messages: list[str] = MESSAGES) -> tuple[list[dict], str]:
    proc = subprocess.run([sys.executable, "-m", "vidrec.cli", "chat", "--jsonl", "--store", str(store),
                           "--user", user], input="".join(m + "\n" for m in messages), capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    turns = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(turns) == len(messages) and all("error" not in t for t in turns), turns
    return turns, proc.stderr


def by_category() -> dict[str, list[str]]:
    with open(DEMO / "catalog.csv", encoding="utf-8") as f:
        out: dict[str, list[str]] = {}
        for row in csv.DictReader(f):
            out.setdefault(row["category"], []).append(row["id"])
    return out


def with_history(demo_store: Path, target: Path) -> Path:
    """A copy of the demo store where shoppers stuck to one kind of product each, and FAN looked at two hoodies."""
    from vidrec.store import Interaction, Store

    shutil.copytree(demo_store, target, ignore=shutil.ignore_patterns("write.lock", "models"))
    rows, ts = [], 1.7e9
    for category, ids in sorted(by_category().items()):
        for k in range(4):
            for item in ids:
                ts += 1
                rows.append(Interaction(f"{category}-shopper-{k}", item, "view", None, ts, None))
    for item in by_category()[TASTE][:2]:
        ts += 1
        rows.append(Interaction(FAN, item, "buy", None, ts, None))
    with Store.open(target) as store:
        store.metadata.add_interactions(rows)
    return target


def train(store: Path) -> None:
    import typer
    from typer.testing import CliRunner

    from vidrec.cli.learn import register

    app = typer.Typer()
    register(app)
    r = CliRunner().invoke(app, ["train", "--store", str(store), "--model", "itemknn", "--json"])
    assert r.exit_code == 0, r.output


def shown(turns: list[dict]) -> list[str]:
    return [item["id"] for t in turns for item in t["items"]]


def test_chat_personalises_with_the_trained_model(demo_store, tmp_path):
    plain = with_history(demo_store, tmp_path / "plain")
    personal = with_history(demo_store, tmp_path / "personal")
    train(personal)
    # a shopper the model has no history of is served as without a model (chats record views, so the same
    # conversation in both stores keeps their popularity equal for what follows)
    stranger, _ = chat(personal, user="someone-else")
    assert shown(stranger) == shown(chat(plain, user="someone-else")[0])
    without, _ = chat(plain)
    with_model, _ = chat(personal)
    assert [t["intent"] for t in with_model] == [t["intent"] for t in without]
    hoodies = set(by_category()[TASTE])
    before, after = shown(without), shown(with_model)
    assert before and after and before != after

    def first_position(ids: list[str]) -> int:
        return next((k for k, i in enumerate(ids) if i in hoodies), len(ids) + 100)

    assert first_position(after) < first_position(before), (before, after)
    first_page = next(t for t in with_model if t["items"])
    assert any(i["id"] in hoodies for i in first_page["items"]), first_page


def test_a_broken_model_file_is_a_warning_and_the_chat_answers(demo_store, tmp_path):
    store = with_history(demo_store, tmp_path / "broken")
    train(store)
    (store / "models" / "itemknn" / "arrays.npz").write_bytes(b"not a zip file")
    turns, stderr = chat(store, messages=MESSAGES[:2])
    assert "could not be loaded" in " ".join(stderr.split()) and "without personalisation" in " ".join(stderr.split())
    assert turns[1]["items"], turns


def search(store: Path, query: str, user: str | None = None) -> list[dict]:
    args = [sys.executable, "-m", "vidrec.cli", "search", query, "--store", str(store), "--k", "8", "--json"]
    proc = subprocess.run(args + (["--user", user] if user else []), capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)["results"]


def test_search_with_a_user_reranks_as_chat_does(demo_store, tmp_path):
    store = with_history(demo_store, tmp_path / "search")
    train(store)
    hoodies = set(by_category()[TASTE])
    query = "comfortable cotton clothes for everyday"
    anyone, fan, stranger = search(store, query), search(store, query, FAN), search(store, query, "someone-else")
    assert len(anyone) == len(fan) == 8 and stranger == anyone  # a user the model does not know: as without

    def hoodies_up_front(results: list[dict]) -> float:  # reciprocal ranks of the hoodies shown
        return sum(1 / (k + 1) for k, r in enumerate(results) if r["id"] in hoodies)

    assert hoodies_up_front(fan) > hoodies_up_front(anyone), ([r["id"] for r in anyone], [r["id"] for r in fan])
    assert [r["score"] for r in fan] == sorted((r["score"] for r in fan), reverse=True)
