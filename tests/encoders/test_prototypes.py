"""Category prototypes: learned from a catalog's labelled pictures, saved with its projection, used by ingest."""

from __future__ import annotations

import numpy as np
import pytest

from vidrec.encoders.projection import ImageTextProjection
from vidrec.encoders.prototypes import CategoryPrototypes
from vidrec.errors import InputError

LABELS = ("Dresses", "Jeans", "Watches")


def pictures(seed: int = 0, per_label: int = 4, frames: int = 2, dim: int = 1280):
    """Keyframe features around one centre per label (non-negative, like pooled ReLU6 features)."""
    rng = np.random.default_rng(seed)
    centres = np.random.default_rng(42).uniform(0, 2, (len(LABELS), dim))
    out = []
    for k, label in enumerate(LABELS):
        for _ in range(per_label):
            out.append((label, np.clip(centres[k] + rng.normal(0, 0.8, (frames, dim)), 0, 6).astype(np.float32)))
    return out


def test_fit_names_new_pictures_and_skips_thin_labels():
    protos = CategoryPrototypes.fit([*pictures(), ("Belts", pictures()[0][1])])  # one belt: too few
    assert protos.labels == sorted(LABELS) and protos.dim == 1280
    for label, feats in pictures(seed=1):
        p = protos.probabilities(feats)
        assert p.shape == (2, 3) and np.allclose(p.sum(axis=1), 1)
        assert protos.labels[int(p.mean(axis=0).argmax())] == label
    assert CategoryPrototypes.fit(pictures(per_label=2)) is None
    with pytest.raises(InputError, match="1280-d"):
        protos.probabilities(np.ones((1, 10)))


def test_blend_moves_covered_categories_and_keeps_the_rest():
    protos = CategoryPrototypes.fit(pictures())
    categories = ["Dresses", "Jeans", "Watches", "Belts"]  # belts have no prototype
    base = np.array([[0.1, 0.5, 0.1, 0.3]], np.float32)  # the zero-shot guess says jeans
    dress = pictures(seed=2)[0][1][:1]
    out = protos.blend_into(base, categories, dress, weight=0.5)
    assert np.isclose(out.sum(), 1) and out[0].argmax() == 0  # the dress pictures win
    assert np.isclose(out[0, 3], 0.3)  # no prototype: its share is untouched
    assert np.allclose(protos.blend_into(base, categories, dress, weight=0.0), base)
    shoes = np.array([[1.0]], np.float32)
    assert protos.blend_into(shoes, ["Shoes"], dress, weight=0.5) is shoes  # nothing covered: unchanged


def test_prototypes_travel_in_the_projection_file(tmp_path):
    rng = np.random.default_rng(0)
    proj = ImageTextProjection(rng.normal(size=(1280, 8)), np.zeros(8), np.zeros(1280), np.ones(1280))
    proj.prototypes = CategoryPrototypes.fit(pictures())
    back = ImageTextProjection.load(proj.save(tmp_path / "p.npz"))
    assert back.prototypes.labels == proj.prototypes.labels
    assert np.allclose(back.prototypes.centroids, proj.prototypes.centroids, atol=1e-3)
    plain = ImageTextProjection.load(
        ImageTextProjection(proj.weight, proj.bias, proj.mean, proj.scale).save(tmp_path / "q.npz"))
    assert plain.prototypes is None


class Hash384:
    dim = 384

    def encode(self, texts, kind="passage"):
        out = np.stack([np.random.default_rng(abs(hash(t)) % 2**32).normal(size=384) for t in texts])
        return (out / np.linalg.norm(out, axis=1, keepdims=True)).astype(np.float32)


def test_a_catalog_with_categories_teaches_prototypes_that_ingest_uses(tmp_path, monkeypatch):
    from vidrec.config import IngestSettings
    from vidrec.ingest.alignment import fit_catalog_projection
    from vidrec.ingest.analysis import ItemAnalysis
    from vidrec.ingest.models import Models
    from vidrec.ingest.writer import StoreWriter
    from vidrec.vocabulary import Taxonomy

    taxonomy = Taxonomy.default()
    writer = StoreWriter.open(tmp_path / "store", taxonomy)
    rng = np.random.default_rng(0)
    for n, (label, feats) in enumerate(pictures(per_label=5)):
        vec = rng.normal(size=384).astype(np.float32)
        vec /= np.linalg.norm(vec)
        writer.write(ItemAnalysis(
            item_id=f"i{n}", content_hash=f"h{n}", video_path=f"/v/{n}.mp4",
            profile={"id": f"i{n}", "title": f"{label.lower()} number {n}"},
            facets={"category": label}, search_text=label, text_vector=vec, image_vector=vec,
            shot_vectors=np.stack([vec, vec]), shot_starts=[0.0, 2.0], image_features=feats, video_seconds=4.0))
    report = fit_catalog_projection(writer, text_encoder=Hash384(), min_items=5)
    assert report.fitted and "3 category prototypes" in report.reason, report.reason
    path = writer.projection_path
    writer.store.close()
    assert ImageTextProjection.load(path).prototypes.labels == sorted(LABELS)

    models = Models(IngestSettings(), taxonomy, path)
    categories = list(models.category_names)
    uniform = np.full((1, len(categories)), 1 / len(categories), np.float32)
    monkeypatch.setattr(Models, "_zero_shot_category", lambda self, f, p, lg: np.repeat(uniform, len(f), 0))
    for label, feats in pictures(seed=3):
        probs = models.visual_category(feats, None, None)
        assert np.allclose(probs.sum(axis=1), 1)
        assert categories[int(probs.mean(axis=0).argmax())] == label
