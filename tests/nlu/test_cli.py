import json

import typer
from typer.testing import CliRunner

from vidrec.cli.parse import register
from vidrec.nlu.schema import MAX_CHARS

runner = CliRunner()


def _app() -> typer.Typer:
    app = typer.Typer()
    register(app)

    @app.command("noop")  # a second command keeps typer from collapsing the app into `parse` itself
    def noop() -> None:
        pass

    return app


def test_parse_json():
    result = runner.invoke(_app(), ["parse", "第二个是什么材质的", "--json", "--shown", "3"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert set(out) == {"text", "lang", "intent", "slots", "confidence"}
    assert out["intent"] == "ask_detail"
    assert out["slots"] == {"item_ref": 2, "attribute": "material"}


def test_parse_human_readable():
    result = runner.invoke(_app(), ["parse", "show me red dresses under $50"])
    assert result.exit_code == 0
    assert result.stdout.startswith("search")
    assert "price_max=50.0" in result.stdout


def test_jsonl_one_object_per_line():
    lines = ["我想买一条红色的连衣裙", "", "cheaper", "x" * (MAX_CHARS + 1), "😂😂"]
    result = runner.invoke(_app(), ["parse", "--jsonl"], input="\n".join(lines) + "\n")
    outs = [json.loads(x) for x in result.stdout.splitlines()]
    assert len(outs) == len(lines)
    assert outs[0]["intent"] == "search" and outs[0]["slots"]["color"] == ["Red"]
    assert outs[1]["intent"] == "chitchat"
    assert outs[2]["intent"] == "critique"
    assert "error" in outs[3] and outs[3]["line"] == 4
    assert outs[4]["intent"] == "chitchat"
    assert result.exit_code == 2  # one line was refused


def test_too_long_text_is_refused_with_exit_2():
    result = runner.invoke(_app(), ["parse", "a" * (MAX_CHARS + 1)])
    assert result.exit_code == 2
    assert "limit" in result.stderr


def test_text_and_jsonl_together_is_an_error():
    result = runner.invoke(_app(), ["parse", "hi", "--jsonl"], input="hello\n")
    assert result.exit_code == 2


def test_vocab_file(tmp_path):
    vocab = tmp_path / "vocab.json"
    vocab.write_text(json.dumps({"categories": ["Dress"], "colours": ["Red"], "brands": ["Acme"]}), encoding="utf-8")
    result = runner.invoke(_app(), ["parse", "红色的连衣裙 from acme", "--json", "--vocab", str(vocab)])
    assert result.exit_code == 0, result.output
    slots = json.loads(result.stdout)["slots"]
    assert slots["category"] == "Dress" and slots["color"] == ["Red"] and slots["brand"] == "Acme"
    missing = runner.invoke(_app(), ["parse", "hi", "--vocab", str(tmp_path / "nope.json")])
    assert missing.exit_code == 2 and "no such file" in missing.stderr
