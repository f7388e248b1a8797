"""Optional CLIP backend, exercised with a tiny randomly initialised transformers CLIPModel built by the test."""

from __future__ import annotations

import json

import numpy as np
import pytest

from vidrec.config import IngestSettings
from vidrec.encoders.clip import ClipEncoder, clip_pixels, image_encoder_from_settings
from vidrec.encoders.image import Lite0ImageEncoder
from vidrec.errors import ConfigError, ModelUnavailableError

from .conftest import photo


def _bytes_to_unicode() -> dict[int, str]:
    """GPT-2/CLIP byte-level BPE alphabet."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, (chr(c) for c in cs), strict=True))


@pytest.fixture(scope="module")
def tiny_clip(tmp_path_factory):
    transformers = pytest.importorskip("transformers")
    import torch

    root = tmp_path_factory.mktemp("clip")
    chars = list(_bytes_to_unicode().values())
    vocab = {c: i for i, c in enumerate(chars)}
    vocab.update({c + "</w>": len(chars) + i for i, c in enumerate(chars)})
    vocab["<|startoftext|>"] = len(vocab)
    vocab["<|endoftext|>"] = len(vocab)
    (root / "vocab.json").write_text(json.dumps(vocab), encoding="utf-8")
    (root / "merges.txt").write_text("#version: 0.2\n", encoding="utf-8")
    tokenizer = transformers.CLIPTokenizer(str(root / "vocab.json"), str(root / "merges.txt"))
    config = transformers.CLIPConfig(
        text_config=dict(
            vocab_size=len(vocab), hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2,
            max_position_embeddings=64, bos_token_id=vocab["<|startoftext|>"], eos_token_id=vocab["<|endoftext|>"],
            pad_token_id=vocab["<|endoftext|>"],
        ),
        vision_config=dict(
            hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2, image_size=32,
            patch_size=8,
        ),
        projection_dim=16,
    )
    torch.manual_seed(0)
    model = transformers.CLIPModel(config).eval()
    folder = root / "tiny-clip"
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    (folder / "preprocessor_config.json").write_text(
        json.dumps({"crop_size": {"height": 32, "width": 32}, "image_mean": [0.5, 0.5, 0.5], "image_std": [0.25] * 3}),
        encoding="utf-8",
    )
    return folder, model, tokenizer


def test_settings_pick_the_backend(tiny_clip):
    folder, _, _ = tiny_clip
    assert isinstance(image_encoder_from_settings(IngestSettings()), Lite0ImageEncoder)
    clip = image_encoder_from_settings(IngestSettings(image_backend="clip", clip_model=str(folder)))
    assert isinstance(clip, ClipEncoder) and clip.backend == "transformers"
    assert image_encoder_from_settings(IngestSettings(image_backend="clip", clip_model=str(folder))) is clip
    with pytest.raises(ConfigError, match="clip_model"):
        image_encoder_from_settings(IngestSettings(image_backend="clip"))
    with pytest.raises(ConfigError, match="image_backend"):
        image_encoder_from_settings(IngestSettings(image_backend="resnet"))


def test_clip_embeddings_agree_with_the_models_own_forward_pass(tiny_clip):
    import torch

    folder, model, tokenizer = tiny_clip
    clip = image_encoder_from_settings(IngestSettings(image_backend="clip", clip_model=str(folder)))
    images = [photo("shoe"), photo("tshirt"), photo("pants")]
    texts = ["a pair of shoes", "一件T恤", "blue jeans"]
    image_vectors = clip.encode(images)
    text_vectors = clip.encode_text(texts)
    assert clip.dim == 16 and image_vectors.logits is None
    assert image_vectors.features.shape == (3, 16) and text_vectors.shape == (3, 16)
    assert np.allclose(np.linalg.norm(image_vectors.features, axis=1), 1, atol=1e-5)

    # transformers' own forward: logits_per_image = logit_scale * cos(image, text)
    pixels = torch.from_numpy(clip_pixels(images, 32, (0.5, 0.5, 0.5), (0.25, 0.25, 0.25)))
    tok = tokenizer(texts, padding=True, return_tensors="pt")
    with torch.no_grad():
        out = model(input_ids=tok["input_ids"], attention_mask=tok["attention_mask"], pixel_values=pixels)
    expected = out.logits_per_image.numpy() / model.logit_scale.exp().item()
    assert np.allclose(image_vectors.features @ text_vectors.T, expected, atol=1e-4)
    # the text half works behind the TextEncoder interface too
    assert np.allclose(clip.text_encoder().encode(texts, kind="query"), text_vectors)
    # different pictures give different vectors
    assert not np.allclose(image_vectors.features[0], image_vectors.features[1])


def test_missing_weights_say_what_to_do(tmp_path):
    with pytest.raises(ModelUnavailableError, match="not found"):
        ClipEncoder(tmp_path / "missing").encode([photo("shoe")])
    with pytest.raises(ModelUnavailableError):
        ClipEncoder("open_clip:ViT-B-32").encode([photo("shoe")])  # no checkpoint named and no download allowed
    with pytest.raises(ConfigError):
        ClipEncoder("  ")
