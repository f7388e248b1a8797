"""ConSE zero-shot categories from ImageNet logits."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from vidrec.encoders.zeroshot import (
    ZeroShotCategorizer,
    cached_embeddings,
    class_text,
    imagenet_classes,
)
from vidrec.errors import InputError


class HashTextEncoder:
    """A deterministic stand-in for the e5 encoder in fast tests: equal texts get equal vectors, different texts
    nearly orthogonal ones. Counts calls so the cache can be checked."""

    dim = 256

    def __init__(self):
        self.calls = 0

    def encode(self, texts, kind="passage"):
        self.calls += 1
        out = []
        for t in texts:
            seed = int.from_bytes(hashlib.sha256(t.encode()).digest()[:8], "little")
            v = np.random.default_rng(seed).standard_normal(self.dim)
            out.append(v / np.linalg.norm(v))
        return np.asarray(out, np.float32)


def peaked_logits(index: int, height: float = 20.0) -> np.ndarray:
    z = np.zeros(1000, np.float32)
    z[index] = height
    return z


def index_of(name: str) -> int:
    return next(c.index for c in imagenet_classes() if name in c.names)


def test_imagenet_classes_are_the_1k_in_logit_order():
    classes = imagenet_classes()
    assert len(classes) == 1000
    assert classes[0].synset == "n01440764" and classes[0].names[0] == "tench"
    assert classes[610].names[:2] == ("jersey", "T-shirt")
    assert classes[770].names[0] == "running shoe"
    assert all(c.definition for c in classes)


def test_conse_ranks_the_category_named_like_the_winning_class(tmp_path, monkeypatch):
    monkeypatch.setenv("VIDREC_CACHE", str(tmp_path))
    shoe, jersey = index_of("running shoe"), index_of("jersey")
    cats = {
        "shoes": [class_text(imagenet_classes()[shoe])],
        "t-shirt": [class_text(imagenet_classes()[jersey])],
        "dress": ["dress", "连衣裙"],
    }
    zs = ZeroShotCategorizer(cats, text_encoder=HashTextEncoder(), k=5)
    result = zs.classify(np.stack([peaked_logits(shoe), peaked_logits(jersey)]))
    assert [r[0][0] for r in result] == ["shoes", "t-shirt"]
    for ranking in result:
        assert sorted(c for c, _ in ranking) == ["dress", "shoes", "t-shirt"]
        scores = [s for _, s in ranking]
        assert scores == sorted(scores, reverse=True)
    # one 1-D logits vector is one image
    assert zs.classify(peaked_logits(shoe))[0][0][0] == "shoes"


def test_conse_mixes_the_top_k_classes(tmp_path, monkeypatch):
    monkeypatch.setenv("VIDREC_CACHE", str(tmp_path))
    shoe, jersey = index_of("running shoe"), index_of("jersey")
    # the canonical names are the class texts themselves, so each category has exactly one name
    cats = {class_text(imagenet_classes()[shoe]): [], class_text(imagenet_classes()[jersey]): []}
    z = np.zeros(1000, np.float32)
    z[shoe], z[jersey] = 10.0, 9.5  # shoe likelier, jersey close behind
    top1 = ZeroShotCategorizer(cats, text_encoder=HashTextEncoder(), k=1, centre=False).scores(z)[0]
    top2 = ZeroShotCategorizer(cats, text_encoder=HashTextEncoder(), k=2, centre=False).scores(z)[0]
    assert top1[0] > 0.99 and abs(top1[1]) < 0.5  # only the shoe class counts
    assert top2[0] > top2[1] > 0.3  # both count, weighted by probability


def test_class_embeddings_are_cached_per_encoder_and_texts(tmp_path, monkeypatch):
    monkeypatch.setenv("VIDREC_CACHE", str(tmp_path))
    enc = HashTextEncoder()
    a = cached_embeddings(enc, ["a", "b"], "passage")
    b = cached_embeddings(enc, ["a", "b"], "passage")
    assert enc.calls == 1 and np.array_equal(a, b)
    cached_embeddings(enc, ["a", "c"], "passage")
    cached_embeddings(enc, ["a", "b"], "query")
    assert enc.calls == 3
    files = list((tmp_path / "text-embeddings").iterdir())
    assert len(files) == 3 and all(f.suffix == ".npy" for f in files)


def test_bad_input_is_rejected():
    with pytest.raises(InputError):
        ZeroShotCategorizer({})
    with pytest.raises(InputError):
        ZeroShotCategorizer({"a": ["a"]}, k=0)
    with pytest.raises(InputError):
        ZeroShotCategorizer({"a": ["a"]}, text_encoder=HashTextEncoder()).classify(np.zeros((2, 10)))


@pytest.mark.slow
def test_real_photos_with_real_models(photos):
    from vidrec.encoders.image import default_image_encoder

    cats = {
        "shoes": ["shoes", "sneakers", "鞋子", "运动鞋"],
        "t-shirt": ["T-shirt", "tee", "T恤", "短袖"],
        "pants": ["pants", "jeans", "裤子", "牛仔裤"],
        "dress": ["dress", "连衣裙"],
        "hat": ["hat", "cap", "帽子"],
        "bag": ["handbag", "bag", "手提包"],
    }
    logits = default_image_encoder().encode([photos["shoe"], photos["tshirt"], photos["pants"]]).logits
    result = ZeroShotCategorizer(cats).classify(logits)
    assert [r[0][0] for r in result] == ["shoes", "t-shirt", "pants"], result
