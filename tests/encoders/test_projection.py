"""Image-feature -> text-space projection: learning, files, and the shipped default."""

from __future__ import annotations

import numpy as np
import pytest

from vidrec.encoders.projection import ImageTextProjection
from vidrec.errors import InputError, ModelUnavailableError


def clustered_pairs(n_per_class: int, classes: int = 6, seed: int = 0, noise_seed: int | None = None):
    """Image features from class clusters (non-negative, like pooled ReLU6 features) paired with one caption
    embedding per class; a linear map exists, so a working fit must find it. `seed` fixes the classes (centres and
    captions), `noise_seed` the photos drawn around them."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform(0, 2, (classes, 1280))
    captions = rng.standard_normal((classes, 384))
    captions /= np.linalg.norm(captions, axis=1, keepdims=True)
    noise = np.random.default_rng(seed if noise_seed is None else noise_seed)
    y = np.repeat(np.arange(classes), n_per_class)
    x = np.clip(centres[y] + noise.normal(0, 0.8, (len(y), 1280)), 0, 6).astype(np.float32)
    return x, captions[y].astype(np.float32), y, captions.astype(np.float32)


def test_fit_learns_a_map_that_generalises():
    x, t, _, _ = clustered_pairs(40)
    model = ImageTextProjection.fit(x, t, epochs=20, seed=0)
    x_new, _, y_new, captions = clustered_pairs(10, noise_seed=99)  # unseen photos of the same classes
    p = model.project(x_new)
    assert p.shape == (60, 384) and np.allclose(np.linalg.norm(p, axis=1), 1, atol=1e-5)
    accuracy = float(((p @ captions.T).argmax(1) == y_new).mean())
    assert accuracy >= 0.95
    assert model.report is not None and model.report.pairs == len(x) and 0 < model.temperature < 1


def test_an_untrained_map_does_not_pass_the_same_check():
    x_new, _, y_new, captions = clustered_pairs(10, noise_seed=99)
    rng = np.random.default_rng(0)
    untrained = ImageTextProjection(
        rng.standard_normal((1280, 384)) / 36, np.zeros(384), x_new.mean(0), x_new.std(0) + 1e-3
    )
    accuracy = float(((untrained.project(x_new) @ captions.T).argmax(1) == y_new).mean())
    assert accuracy < 0.6


def test_fit_is_deterministic_for_a_seed_and_differs_across_seeds():
    x, t, _, _ = clustered_pairs(10, classes=4)
    a = ImageTextProjection.fit(x, t, epochs=3, seed=3)
    b = ImageTextProjection.fit(x, t, epochs=3, seed=3)
    c = ImageTextProjection.fit(x, t, epochs=3, seed=4)
    assert np.array_equal(a.weight, b.weight)
    assert not np.array_equal(a.weight, c.weight)


def test_fixed_temperature_is_kept():
    x, t, _, _ = clustered_pairs(5, classes=3)
    model = ImageTextProjection.fit(x, t, epochs=2, temperature=0.1)
    assert model.temperature == pytest.approx(0.1, rel=1e-5)


def test_fit_rejects_too_few_or_unpaired_rows():
    x, t, _, _ = clustered_pairs(2, classes=3)
    with pytest.raises(InputError):
        ImageTextProjection.fit(x[:7], t[:7])
    with pytest.raises(InputError):
        ImageTextProjection.fit(x, t[:-1])
    x_bad = x.copy()
    x_bad[:] = np.nan
    with pytest.raises(InputError):  # every row dropped as non-finite
        ImageTextProjection.fit(x_bad, t)


def test_save_and_load_round_trip(tmp_path):
    x, t, _, _ = clustered_pairs(5, classes=3)
    model = ImageTextProjection.fit(x, t, epochs=2, meta={"note": "连衣裙"})
    path = model.save(tmp_path / "sub" / "p.npz")
    assert [f.name for f in path.parent.iterdir()] == ["p.npz"]
    loaded = ImageTextProjection.load(path)
    assert loaded.meta["note"] == "连衣裙" and loaded.temperature == pytest.approx(model.temperature)
    assert np.abs(loaded.project(x) - model.project(x)).max() < 5e-3  # weights stored as float16
    with pytest.raises(InputError):
        loaded.project(np.zeros((2, 10), np.float32))


def test_unreadable_file_says_how_to_fix(tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"nope")
    with pytest.raises(ModelUnavailableError, match="train_projection"):
        ImageTextProjection.load(bad)


def test_shipped_default_loads_and_was_evaluated():
    model = ImageTextProjection.default()
    assert (model.in_dim, model.out_dim) == (1280, 384)
    held_out = model.meta["held_out_eval"]
    assert held_out["acc_all_captions"] > 3 * held_out["majority_baseline"]
    assert "CC0" in model.meta["data"]


@pytest.mark.slow
def test_shipped_default_puts_photos_near_their_names(photos):
    from vidrec.encoders.image import default_image_encoder
    from vidrec.encoders.text import default_text_encoder

    feats = default_image_encoder().encode([photos["shoe"], photos["tshirt"], photos["pants"]]).features
    projected = ImageTextProjection.default().project(feats)
    for names in (["shoes", "T-shirt", "pants", "dress", "hat"], ["鞋子", "T恤", "裤子", "连衣裙", "帽子"]):
        queries = default_text_encoder().encode(names, kind="query")
        best = (projected @ queries.T).argmax(axis=1)
        assert best.tolist() == [0, 1, 2], (names, projected @ queries.T)
