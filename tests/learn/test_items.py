import numpy as np
import pytest

from vidrec.errors import InputError
from vidrec.learn.items import ItemTexts, content_features, describe


def test_recbole_item_file(tmp_path):
    p = tmp_path / "ml.item"
    p.write_text(
        "item_id:token\tmovie_title:token_seq\trelease_year:token\tclass:token_seq\n"
        "1\tToy Story\t1995\tAnimation Children's Comedy\n2\tGoldenEye\t1995\tAction\n",
        encoding="utf-8",
    )
    items = ItemTexts.from_file(p)
    assert items.get("1") == "Toy Story (1995). genres: Animation, Children's, Comedy"
    assert items.ids() == ["1", "2"]


def test_csv_and_jsonl_item_files(tmp_path):
    p = tmp_path / "items.csv"
    p.write_text("id,title,category,price\nA1,红色连衣裙,dress,199\n", encoding="utf-8")
    assert ItemTexts.from_file(p).get("A1") == "红色连衣裙. category: dress. price: 199"
    j = tmp_path / "items.jsonl"
    j.write_text('{"id": "v1", "title": "Kettle", "colors": ["red", "white"]}\n\n', encoding="utf-8")
    assert ItemTexts.from_file(j).get("v1") == "Kettle. colors: red, white"
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"title": "no id"}\n', encoding="utf-8")
    with pytest.raises(InputError, match="no item id"):
        ItemTexts.from_file(bad)
    with pytest.raises(InputError, match="no item id column"):
        (tmp_path / "x.csv").write_text("name,price\na,1\n", encoding="utf-8")
        ItemTexts.from_file(tmp_path / "x.csv")


def test_store_items_use_profile_and_vectors():
    rows = [
        {"id": "v1", "title": "Red dress", "profile_json": '{"category": "dress", "colors": ["red"]}'},
        {"id": "v2", "title": "Kettle", "profile": {"category": "kettle"}, "item_vector": [3.0, 4.0]},
    ]
    items = ItemTexts.from_store_items(rows)
    assert items.get("v1") == "Red dress. category: dress. colors: red"
    assert items.get("v2") == "Kettle. category: kettle"
    assert set(items.extra) == {"v2"}


def test_describe_skips_empty_fields():
    assert describe("T", {"a": "", "b": None, "c": "x"}) == "T. c: x"


def test_content_features_cached_and_extra_concatenated(encoder, monkeypatch, caplog):
    items = ItemTexts({"a": "red dress", "b": "steel kettle"}, extra={"a": np.array([0.0, 2.0], np.float32)})
    with caplog.at_level("WARNING", logger="vidrec.learn.items"):
        f1 = content_features(["a", "b", "zz"], items, encoder=encoder)
    assert f1.shape == (3, 64 + 2)
    # an item the catalog lacks is embedded from an empty string, and the log says so
    assert "1 of 3 items have no text" in caplog.text
    np.testing.assert_allclose(f1[0, -2:], [0.0, 1.0])
    np.testing.assert_allclose(f1[1, -2:], [0.0, 0.0])

    class Exploding:
        dim = 64

        def encode(self, texts, kind="passage"):
            raise AssertionError("should have come from the cache")

    Exploding.__module__, Exploding.__name__ = type(encoder).__module__, type(encoder).__name__
    f2 = content_features(["a", "b", "zz"], items, encoder=Exploding())
    np.testing.assert_array_equal(f1, f2)


class _CountingEncoder:
    """Records every text it is asked to embed; vectors from the hashing encoder (or zeros of another size)."""

    def __init__(self, dim: int | None = None):
        from .conftest import HashingEncoder

        self.inner = HashingEncoder()
        self.dim = dim or self.inner.dim
        self.seen: list[str] = []

    def encode(self, texts, kind="passage"):
        self.seen.extend(texts)
        out = self.inner.encode(texts, kind)
        return out if self.dim == self.inner.dim else np.ones((len(texts), self.dim), np.float32)


def test_only_items_without_a_stored_vector_are_embedded():
    """The closed-loop run's 585 s: one catalog item without a stored text vector made training embed every
    item's text again. Now the encoder sees only the items that lack one."""
    texts = {f"i{k}": f"a {k} shirt in colour {k} with a long description" for k in range(30)}
    rng = np.random.default_rng(0)
    vectors = {i: rng.normal(size=64).astype(np.float32) for i in list(texts)[:27]}  # i27..i29 have none
    items = ItemTexts(dict(texts), text_vectors=vectors)
    ids = list(texts)
    enc = _CountingEncoder()
    feats = content_features(ids, items, encoder=enc, cache=False)
    assert sorted(enc.seen) == sorted(texts[i] for i in ("i27", "i28", "i29"))
    assert np.allclose(feats[3], vectors["i3"] / np.linalg.norm(vectors["i3"]), atol=1e-6)
    assert np.allclose(feats[28], enc.inner.encode([texts["i28"]])[0], atol=1e-6)
    assert np.allclose(np.linalg.norm(feats, axis=1), 1.0, atol=1e-5)


def test_fresh_vectors_of_another_size_embed_every_item():
    texts = {f"i{k}": f"item {k}" for k in range(5)}
    vectors = {i: np.ones(16, np.float32) for i in list(texts)[:4]}
    enc = _CountingEncoder(dim=32)
    feats = content_features(list(texts), ItemTexts(dict(texts), text_vectors=vectors), encoder=enc, cache=False)
    assert feats.shape == (5, 32)
    assert sorted(enc.seen) == sorted(["item 4", *texts.values()])  # the missing one, then all of them
