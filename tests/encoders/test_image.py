"""EfficientNet-Lite0 image encoder: preprocessing, ONNX export, ONNX == torch on real photos, sensible classes."""

from __future__ import annotations

import numpy as np
import pytest

from vidrec.encoders.image import (
    FEATURE_DIM,
    NUM_CLASSES,
    Lite0ImageEncoder,
    as_rgb,
    default_image_encoder,
    load_torch_lite0,
    preprocess,
)
from vidrec.encoders.zeroshot import imagenet_classes
from vidrec.errors import InputError

from .conftest import photo


def test_preprocess_pads_to_a_white_square_and_scales():
    wide = np.zeros((50, 100, 3), np.uint8)  # black, twice as wide as high
    batch = preprocess([wide])
    assert batch.shape == (1, 3, 224, 224) and batch.dtype == np.float32
    white = (255 - 127) / 128
    black = (0 - 127) / 128
    assert np.allclose(batch[0, :, 0, :], white)  # top rows are padding
    assert np.allclose(batch[0, :, -1, :], white)
    assert np.allclose(batch[0, :, 112, 10:-10], black, atol=1e-6)  # the picture fills the middle band


def test_as_rgb_accepts_grey_rgba_and_float_and_rejects_other_shapes():
    grey = np.full((4, 5), 10, np.uint8)
    assert as_rgb(grey).shape == (4, 5, 3)
    rgba = np.zeros((4, 5, 4), np.uint8)  # fully transparent -> white
    assert (as_rgb(rgba) == 255).all()
    assert as_rgb(np.ones((4, 5, 3), np.float32)).max() == 255
    with pytest.raises(InputError):
        as_rgb(np.zeros((4, 5, 2), np.uint8))
    with pytest.raises(InputError):
        as_rgb(np.zeros((0, 5, 3), np.uint8))


def test_empty_batch_needs_no_model(tmp_path):
    out = Lite0ImageEncoder(cache=tmp_path).encode([])
    assert out.features.shape == (0, FEATURE_DIM) and out.logits.shape == (0, NUM_CLASSES)
    assert not any(tmp_path.iterdir())


@pytest.mark.slow
def test_onnx_matches_torch_on_real_photos(photos):
    import torch

    images = list(photos.values())
    onnx_out = default_image_encoder().encode(images)
    with torch.no_grad():
        feats, logits = load_torch_lite0()(torch.from_numpy(preprocess(images)))
    assert onnx_out.features.shape == (3, FEATURE_DIM)
    assert np.abs(onnx_out.features - feats.numpy()).max() < 1e-3
    assert np.abs(onnx_out.logits - logits.numpy()).max() < 1e-3
    assert onnx_out.features.std() > 0.1  # not a constant output


@pytest.mark.slow
def test_real_photos_get_the_right_kind_of_imagenet_class(photos):
    names = [", ".join(c.names) for c in imagenet_classes()]
    out = default_image_encoder().encode([photos["shoe"], photos["tshirt"], photos["pants"]])
    top5 = [[names[i] for i in np.argsort(-row)[:5]] for row in out.logits]
    shoe_words = ("shoe", "sneaker", "Loafer", "sandal", "clog", "boot")
    assert any(w in n for n in top5[0][:2] for w in shoe_words), top5[0]
    assert "jersey, T-shirt, tee shirt" in top5[1][:2], top5[1]
    assert "jean, blue jean, denim" in top5[2][:2], top5[2]
    # a shoe is not a T-shirt
    assert not any(w in n for n in top5[1][:1] for w in shoe_words)


@pytest.mark.slow
def test_export_is_atomic_and_a_damaged_cache_file_is_rebuilt(tmp_path):
    enc = Lite0ImageEncoder(cache=tmp_path)
    first = enc.encode([photo("shoe")])
    assert enc.onnx_path.is_file()
    assert [p.name for p in tmp_path.iterdir()] == [enc.onnx_path.name]  # no temp files left behind
    enc.onnx_path.write_bytes(b"not an onnx graph")
    again = Lite0ImageEncoder(cache=tmp_path).encode([photo("shoe")])
    assert np.allclose(first.features, again.features, atol=1e-5)
