"""The contract every VectorIndex backend meets. A backend's test module subclasses VectorIndexContract:

    class TestMyBackend(VectorIndexContract):
        def make_index(self, path, dim): return MyBackend(dim, path)   # an empty index that saves to `path`
        def open_index(self, path, dim): return MyBackend.open(path, dim)

Brute force over the same data (with Filter.matches) is the reference. Backends that are approximate without a
filter set ``exact_unfiltered = False`` and are held to ``min_unfiltered_recall`` instead.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from vidrec.errors import StoreError, VidrecError
from vidrec.store.vector_index import Filter, ItemHit, VectorIndex

DIM = 32
N = 5000
CATEGORIES = [f"cat{i}" for i in range(50)]
COLORS = [f"col{i}" for i in range(40)]
BRANDS = [f"brand{i}" for i in range(200)]
GENDERS = ["men", "women", "unisex"]


def unit(rows: np.ndarray) -> np.ndarray:
    rows = np.asarray(rows, dtype=np.float32)
    return rows / np.linalg.norm(rows, axis=-1, keepdims=True)


def random_payloads(rng: np.random.Generator, n: int) -> list[dict]:
    """Payloads like a real catalog's: some facets unknown, 1-3 colours, prices 1..1000."""
    out = []
    for _ in range(n):
        p: dict = {"category": CATEGORIES[rng.integers(len(CATEGORIES))]}
        if rng.random() < 0.9:
            p["colors"] = list(rng.choice(COLORS, size=int(rng.integers(1, 4)), replace=False))
        if rng.random() < 0.9:
            p["price"] = float(np.round(rng.uniform(1, 1000), 2))
        if rng.random() < 0.8:
            p["brand"] = BRANDS[rng.integers(len(BRANDS))]
        if rng.random() < 0.7:
            p["gender"] = GENDERS[rng.integers(len(GENDERS))]
        out.append(p)
    return out


def brute_force(
    data: dict[str, tuple[np.ndarray, dict]], query: np.ndarray, k: int | None, f: Filter | None
) -> list[tuple[str, float]]:
    """Every vector meeting ``f``, best first (the top ``k``, or all when ``k`` is None)."""
    ids = [vid for vid, (_, payload) in data.items() if f is None or f.matches(vid, payload)]
    if not ids:
        return []
    scores = np.stack([data[vid][0] for vid in ids]).astype(np.float64) @ np.asarray(query, dtype=np.float64)
    order = np.argsort(-scores, kind="stable")
    ranked = [(ids[i], float(scores[i])) for i in order]
    return ranked if k is None else ranked[:k]


def subset(data: dict[str, tuple[np.ndarray, dict]], f: Filter) -> dict[str, tuple[np.ndarray, dict]]:
    """The vectors meeting ``f`` (computed once, then brute-forced per query)."""
    return {vid: entry for vid, entry in data.items() if f.matches(vid, entry[1])}


def assert_same_ranking(
    got: list[tuple[str, float]], ranked: list[tuple[str, float]], k: int, tol: float = 1e-4
) -> None:
    """``got`` is the top ``k`` of the full brute-force ranking ``ranked``: same scores position by position, and
    the same ids except where two vectors tie within ``tol`` (float32 sums may order them either way)."""
    expected = ranked[:k]
    assert len(got) == len(expected), (got, expected)
    np.testing.assert_allclose([s for _, s in got], [s for _, s in expected], atol=tol)
    true_score = dict(ranked)
    for pos, ((gid, gscore), (eid, escore)) in enumerate(zip(got, expected, strict=True)):
        assert gid in true_score, f"{gid} should not pass the filter"
        assert abs(true_score[gid] - gscore) < tol, (gid, gscore, true_score[gid])
        if gid != eid:
            tied = [vid for vid, s in ranked[: k + 1] if abs(s - escore) < tol]
            assert gid in tied and eid in tied, (pos, got, expected)


FILTERS = {
    "ids": lambda: Filter(ids={str(i) for i in range(0, N, 7)}),
    "exclude_ids": lambda: Filter(exclude_ids={str(i) for i in range(0, N, 2)}),
    "item_ids": lambda: Filter(item_ids={str(i) for i in range(100, 400)}),
    "exclude_item_ids": lambda: Filter(exclude_item_ids={str(i) for i in range(0, N, 3)}),
    "category": lambda: Filter(category={"cat3", "cat7"}),
    "colors_any": lambda: Filter(colors_any={"col1", "col2"}),
    "colors_none": lambda: Filter(colors_none={"col1", "col2", "col3", "col4", "col5"}),
    "brand": lambda: Filter(brand={"brand1", "brand2", "brand3"}),
    "brand_none": lambda: Filter(brand_none={f"brand{i}" for i in range(100)}),
    "gender": lambda: Filter(gender={"women"}),
    "price_min": lambda: Filter(price_min=900.0),
    "price_max": lambda: Filter(price_max=25.0),
    "price_range": lambda: Filter(price_min=100.0, price_max=110.0),
    "kind": lambda: Filter(kind="item"),
    # a short list of vectors or items (FaissIndex searches only their rows), alone and with other conditions
    "few_ids": lambda: Filter(ids={str(i) for i in range(3, 600, 29)}),
    "few_items": lambda: Filter(item_ids={str(i) for i in range(0, 60, 3)} | {"no-such-item"}),
    "few_items_and_conditions": lambda: Filter(
        item_ids={str(i) for i in range(0, 300, 2)}, kind="item", price_max=700.0,
        colors_none={"col1", "col2"}, exclude_ids={"10", "20"},
    ),
    "few_ids_and_conditions": lambda: Filter(
        ids={str(i) for i in range(0, 900, 5)}, category={f"cat{i}" for i in range(20)}, colors_any={"col3", "col4"},
        exclude_item_ids={"15"},
    ),
    "combined_1_to_5_percent": lambda: Filter(
        category={f"cat{i}" for i in range(10)}, price_max=500.0, colors_any={f"col{i}" for i in range(12)}
    ),
    "everything_at_once": lambda: Filter(
        category={f"cat{i}" for i in range(25)},
        colors_any={f"col{i}" for i in range(20)},
        colors_none={"col39"},
        brand_none={"brand0"},
        gender={"women", "unisex"},
        price_min=50.0,
        price_max=800.0,
        exclude_item_ids={"1", "2"},
        kind="item",
    ),
}


class VectorIndexContract:
    exact_unfiltered = True
    min_unfiltered_recall = 1.0

    def make_index(self, path: Path, dim: int) -> VectorIndex:  # pragma: no cover - overridden
        raise NotImplementedError

    def open_index(self, path: Path, dim: int) -> VectorIndex:  # pragma: no cover - overridden
        raise NotImplementedError

    # ------------------------------------------------------------------------------------ shared data

    @pytest.fixture(scope="class")
    @classmethod
    def dataset(cls) -> tuple[list[str], np.ndarray, list[dict]]:
        rng = np.random.default_rng(1234)
        vectors = unit(rng.standard_normal((N, DIM)))
        return [str(i) for i in range(N)], vectors, random_payloads(rng, N)

    @pytest.fixture(scope="class")
    @classmethod
    def filled(cls, dataset, tmp_path_factory) -> VectorIndex:
        ids, vectors, payloads = dataset
        index = cls().make_index(tmp_path_factory.mktemp("filled") / "index", DIM)
        for start in range(0, N, 1000):  # several batches, like an ingest run
            index.add(
                ids[start : start + 1000], vectors[start : start + 1000], payloads[start : start + 1000]
            )
        return index

    @pytest.fixture(scope="class")
    @classmethod
    def reference(cls, dataset) -> dict[str, tuple[np.ndarray, dict]]:
        ids, vectors, payloads = dataset
        return {i: (v, p) for i, v, p in zip(ids, vectors, payloads, strict=True)}

    @pytest.fixture(scope="class")
    @classmethod
    def queries(cls) -> np.ndarray:
        return unit(np.random.default_rng(99).standard_normal((12, DIM)))

    # ------------------------------------------------------------------------------------ basics

    def test_empty_index_returns_nothing(self, tmp_path):
        index = self.make_index(tmp_path / "index", DIM)
        assert len(index) == 0
        assert index.search(unit(np.ones(DIM)), 10) == []
        assert index.search(unit(np.ones(DIM)), 10, Filter(category={"x"})) == []
        assert index.search_items(unit(np.ones(DIM)), 10) == []

    def test_a_vector_finds_itself_first(self, filled, dataset):
        ids, vectors, _ = dataset
        for pos in (0, 1234, N - 1):
            hits = filled.search(vectors[pos], 3)
            assert hits[0][0] == ids[pos]
            assert hits[0][1] == pytest.approx(1.0, abs=1e-4)

    def test_len_counts_vectors(self, filled):
        assert len(filled) == N

    def test_k_zero_and_k_beyond_size(self, tmp_path, dataset):
        ids, vectors, payloads = dataset
        index = self.make_index(tmp_path / "index", DIM)
        index.add(ids[:5], vectors[:5], payloads[:5])
        assert index.search(vectors[0], 0) == []
        hits = index.search(vectors[0], 50)
        assert sorted(h[0] for h in hits) == sorted(ids[:5])
        assert [s for _, s in hits] == sorted((s for _, s in hits), reverse=True)

    def test_unfiltered_results_match_brute_force(self, filled, reference, queries):
        recalls = []
        for query in queries:
            got = filled.search(query, 10)
            expected = brute_force(reference, query, 10, None)
            if self.exact_unfiltered:
                assert_same_ranking(got, brute_force(reference, query, None, None), 10)
            else:
                recalls.append(len({g for g, _ in got} & {e for e, _ in expected}) / 10)
        if recalls:
            assert np.mean(recalls) >= self.min_unfiltered_recall

    def test_payload_is_returned_as_stored(self, filled, dataset):
        ids, _, payloads = dataset
        assert filled.payload(ids[10]) == payloads[10]
        assert filled.payload("no-such-id") is None
        assert ids[10] in filled and "no-such-id" not in filled

    def test_vector_is_returned_as_stored(self, filled, dataset):
        ids, vectors, _ = dataset
        for pos in (0, 1234, N - 1):
            got = filled.vector(ids[pos])
            assert got is not None and got.dtype == np.float32 and got.shape == (DIM,)
            np.testing.assert_allclose(got, vectors[pos], atol=1e-6)
        assert filled.vector("no-such-id") is None
        many = filled.vectors([ids[7], "no-such-id", ids[3], ids[7]])
        assert many[1] is None and len(many) == 4
        for got, pos in ((many[0], 7), (many[2], 3), (many[3], 7)):
            np.testing.assert_allclose(got, vectors[pos], atol=1e-6)
        assert filled.vectors([]) == []

    def test_vector_follows_upserts_and_deletes(self, tmp_path):
        index = self.make_index(tmp_path / "index", 4)
        e = unit(np.eye(4))
        index.add(["a", "b"], e[:2], [{}, {}])
        index.add(["a"], e[2:3], [{}])
        np.testing.assert_allclose(index.vector("a"), e[2], atol=1e-6)
        index.delete(["a"])
        assert index.vector("a") is None and index.vectors(["a", "b"])[0] is None
        np.testing.assert_allclose(index.vectors(["a", "b"])[1], e[1], atol=1e-6)

    # ------------------------------------------------------------------------------------ filters

    @pytest.mark.parametrize("name", sorted(FILTERS))
    def test_filtered_results_are_exact(self, filled, reference, queries, name):
        f = FILTERS[name]()
        kept = subset(reference, f)
        assert 0 < len(kept) < N or name == "kind"
        for query in queries[:6]:
            got = filled.search(query, 10, f)
            assert_same_ranking(got, brute_force(kept, query, None, None), 10)
            for vid, _ in got:
                assert f.matches(vid, reference[vid][1])

    def test_filter_matching_nothing_returns_nothing(self, filled, queries):
        for f in (
            Filter(category={"no-such-category"}),
            Filter(category=set()),
            Filter(ids=set()),
            Filter(price_min=10_000.0),
            Filter(category={"cat1"}, brand={"brand-that-does-not-exist"}),
            Filter(kind="shot"),
        ):
            assert filled.search(queries[0], 10, f) == []

    def test_filter_keeping_one_vector_returns_it(self, filled, dataset, queries):
        ids, vectors, _ = dataset
        needle = ids[4321]
        far_away = -vectors[4321]  # the needle is the worst match for this query, still it must come back
        assert filled.search(far_away, 5, Filter(ids={needle})) == [(needle, pytest.approx(-1.0, abs=1e-4))]
        assert [h[0] for h in filled.search(queries[0], 5, Filter(item_ids={needle}))] == [needle]

    def test_an_empty_filter_keeps_everything(self, filled, queries):
        assert [h[0] for h in filled.search(queries[0], 10, Filter())] == [
            h[0] for h in filled.search(queries[0], 10)
        ]

    def test_unknown_values_fail_positive_and_pass_negative_conditions(self, tmp_path):
        index = self.make_index(tmp_path / "index", 4)
        vecs = unit(np.eye(4))
        index.add(["known", "unknown"], vecs[:2], [{"price": 10, "colors": ["red"], "brand": "acme"}, {}])
        q = unit(np.ones(4))
        assert [h[0] for h in index.search(q, 5, Filter(price_max=100))] == ["known"]
        assert [h[0] for h in index.search(q, 5, Filter(colors_any={"red"}))] == ["known"]
        assert [h[0] for h in index.search(q, 5, Filter(colors_none={"red"}))] == ["unknown"]
        assert [h[0] for h in index.search(q, 5, Filter(brand_none={"acme"}))] == ["unknown"]
        assert sorted(h[0] for h in index.search(q, 5, Filter(colors_none={"blue"}))) == ["known", "unknown"]

    def test_facets_compare_case_insensitively(self, tmp_path):
        index = self.make_index(tmp_path / "index", 4)
        index.add(["a"], unit(np.eye(4))[:1], [{"category": " Dresses ", "colors": "RED", "brand": "Acme"}])
        q = unit(np.ones(4))
        assert (
            index.search(q, 1, Filter(category={"dresses"}, colors_any={"Red"}, brand={"ACME"}))[0][0] == "a"
        )

    # ------------------------------------------------------------------------------------ writes

    def test_upsert_replaces_vector_and_payload(self, tmp_path):
        index = self.make_index(tmp_path / "index", 4)
        e = unit(np.eye(4))
        index.add(["a", "b"], e[:2], [{"category": "shoes"}, {"category": "shoes"}])
        index.add(["a"], e[2:3], [{"category": "bags", "colors": ["red"]}])
        assert len(index) == 2
        assert index.payload("a") == {"category": "bags", "colors": ["red"]}
        assert index.search(e[2], 1)[0] == ("a", pytest.approx(1.0, abs=1e-5))
        assert index.search(e[0], 1)[0][0] == "b"  # the old vector of "a" is gone
        assert [h[0] for h in index.search(e[2], 5, Filter(category={"shoes"}))] == ["b"]
        assert [h[0] for h in index.search(e[2], 5, Filter(colors_any={"red"}))] == ["a"]
        index.add(["a"], e[2:3], [{"category": "bags"}])  # colours dropped on the new payload
        assert index.search(e[2], 5, Filter(colors_any={"red"})) == []

    def test_repeated_id_in_one_call_keeps_the_last(self, tmp_path):
        index = self.make_index(tmp_path / "index", 4)
        e = unit(np.eye(4))
        index.add(["a", "a"], e[:2], [{"n": 1}, {"n": 2}])
        assert len(index) == 1
        assert index.payload("a") == {"n": 2}
        assert index.search(e[1], 1)[0] == ("a", pytest.approx(1.0, abs=1e-5))

    def test_delete_removes_and_ignores_unknown_ids(self, tmp_path, dataset):
        ids, vectors, payloads = dataset
        index = self.make_index(tmp_path / "index", DIM)
        index.add(ids[:300], vectors[:300], payloads[:300])
        index.delete(["5", "17", "no-such-id"])
        assert len(index) == 298
        assert "5" not in index
        for vid, _ in index.search(vectors[5], 300):
            assert vid not in {"5", "17"}
        assert index.search(vectors[5], 5, Filter(ids={"5", "17"})) == []
        index.delete([])
        assert len(index) == 298

    def test_deleted_id_can_come_back(self, tmp_path, dataset):
        ids, vectors, payloads = dataset
        index = self.make_index(tmp_path / "index", DIM)
        index.add(ids[:50], vectors[:50], payloads[:50])
        index.delete(ids[:10])
        index.add(["new1", "new2"], vectors[50:52], [{"category": "zz"}, {"category": "zz"}])
        index.add(["3"], vectors[3:4], [payloads[3]])
        assert len(index) == 43
        assert index.search(vectors[3], 1)[0][0] == "3"
        assert sorted(h[0] for h in index.search(vectors[0], 10, Filter(category={"zz"}))) == ["new1", "new2"]
        assert index.payload("3") == payloads[3]

    def test_many_operations_agree_with_brute_force(self, tmp_path):
        rng = np.random.default_rng(7)
        index = self.make_index(tmp_path / "index", DIM)
        model: dict[str, tuple[np.ndarray, dict]] = {}
        for _ in range(60):
            if model and rng.random() < 0.35:
                gone = list(rng.choice(sorted(model), size=int(rng.integers(1, 20)), replace=True))
                index.delete(gone)
                for g in gone:
                    model.pop(g, None)
            else:
                n = int(rng.integers(1, 40))
                new_ids = [str(rng.integers(0, 400)) for _ in range(n)]
                vecs = unit(rng.standard_normal((n, DIM)))
                pays = random_payloads(rng, n)
                index.add(new_ids, vecs, pays)
                for i, v, p in zip(new_ids, vecs, pays, strict=True):
                    model[i] = (v, p)
        assert len(index) == len(model)
        for query in unit(rng.standard_normal((5, DIM))):
            few = {str(i) for i in range(0, 400, 9)}
            for f in (Filter(exclude_ids={"1"}), Filter(colors_any={"col1", "col2", "col3", "col4"}),
                      Filter(item_ids=few), Filter(ids=few, price_max=500.0)):
                assert_same_ranking(index.search(query, 15, f), brute_force(model, query, None, f), 15)

    # ------------------------------------------------------------------------------------ bad input

    def test_wrong_dimension_is_a_clear_error(self, tmp_path):
        index = self.make_index(tmp_path / "index", DIM)
        with pytest.raises(VidrecError, match=f"{DIM}-d"):
            index.add(["a"], np.ones((1, DIM + 1), dtype=np.float32), [{}])
        with pytest.raises(VidrecError, match=f"{DIM}-d"):
            index.search(np.ones(DIM - 1, dtype=np.float32), 3)

    def test_bad_vectors_and_payloads_are_refused_without_changing_anything(self, tmp_path):
        index = self.make_index(tmp_path / "index", 4)
        e = unit(np.eye(4))
        index.add(["a"], e[:1], [{"price": 1}])
        bad_vec = e[:2].copy()
        bad_vec[1, 0] = np.nan
        with pytest.raises(VidrecError, match="NaN"):
            index.add(["b", "c"], bad_vec, [{}, {}])
        with pytest.raises(VidrecError, match="price"):
            index.add(["b", "c"], e[:2], [{}, {"price": "cheap"}])
        with pytest.raises(VidrecError, match="one vector per id"):
            index.add(["b", "c"], e[:1], [{}, {}])
        with pytest.raises(VidrecError, match="one payload per id"):
            index.add(["b", "c"], e[:2], [{}])
        assert len(index) == 1 and index.payload("a") == {"price": 1}

    # ------------------------------------------------------------------------------------ persistence

    def test_save_and_open_round_trip(self, tmp_path, dataset, queries):
        ids, vectors, payloads = dataset
        path = tmp_path / "index"
        index = self.make_index(path, DIM)
        index.add(ids[:2000], vectors[:2000], payloads[:2000])
        index.delete(ids[:10])
        index.save()
        again = self.open_index(path, DIM)
        assert len(again) == len(index) == 1990
        assert again.payload(ids[500]) == payloads[500]
        np.testing.assert_allclose(again.vector(ids[500]), vectors[500], atol=1e-6)
        assert ids[3] not in again and again.vector(ids[3]) is None
        f = Filter(category={"cat1", "cat2", "cat3"}, price_max=700.0)
        for query in queries[:4]:
            assert again.search(query, 10) == index.search(query, 10)
            assert again.search(query, 10, f) == index.search(query, 10, f)
        again.add(["fresh"], vectors[:1], [{"category": "new"}])  # an opened index keeps working
        assert again.search(vectors[0], 1, Filter(category={"new"}))[0][0] == "fresh"

    def test_open_without_a_file_gives_an_empty_index(self, tmp_path):
        index = self.open_index(tmp_path / "nothing-here", DIM)
        assert len(index) == 0
        index.add(["a"], unit(np.ones((1, DIM))), [{}])
        index.save()
        assert len(self.open_index(tmp_path / "nothing-here", DIM)) == 1

    def test_open_with_another_dimension_is_refused(self, tmp_path):
        path = tmp_path / "index"
        index = self.make_index(path, DIM)
        index.add(["a"], unit(np.ones((1, DIM))), [{}])
        index.save()
        with pytest.raises(StoreError, match=f"{DIM}-d"):
            self.open_index(path, DIM * 2)

    # ------------------------------------------------------------------------------------ items and shots

    def test_search_items_keeps_the_best_vector_of_each_item(self, tmp_path):
        index = self.make_index(tmp_path / "index", 3)
        v = unit(np.array([[1, 0, 0], [0.9, 0.1, 0], [0.8, 0.2, 0], [0, 1, 0], [0.7, 0.3, 0], [0, 0, 1]]))
        index.add(
            ["1", "1#shot0", "1#shot1", "2", "2#shot0", "3"],
            v,
            [
                {"kind": "item", "category": "a"},
                {"item_id": "1", "kind": "shot", "category": "a", "start": 0.0},
                {"item_id": "1", "kind": "shot", "category": "a", "start": 2.5},
                {"kind": "item", "category": "b"},
                {"item_id": "2", "kind": "shot", "category": "b", "start": 1.0},
                {"kind": "item", "category": "c"},
            ],
        )
        query = unit(np.array([0.85, 0.15, 0.0]))
        hits = index.search_items(query, 10)
        assert [h.item_id for h in hits] == ["1", "2", "3"]
        assert isinstance(hits[0], ItemHit)
        assert hits[0].vector_id in {"1#shot0", "1#shot1"}
        assert hits[1].vector_id == "2#shot0"
        assert hits[0].score == pytest.approx(max(float(np.dot(query, v[i])) for i in range(3)), abs=1e-5)
        assert index.payload(hits[1].vector_id)["start"] == 1.0
        assert [h.item_id for h in index.search_items(query, 1)] == ["1"]
        only_items = index.search_items(query, 10, Filter(kind="item"))
        assert [(h.item_id, h.vector_id) for h in only_items] == [("1", "1"), ("2", "2"), ("3", "3")]
        assert [h.item_id for h in index.search_items(query, 10, Filter(exclude_item_ids={"1"}))] == [
            "2",
            "3",
        ]
        assert [h.item_id for h in index.search_items(query, 10, Filter(category={"b"}))] == ["2"]
        ids = ["2#shot0", "nope", "1", "1#shot1", "1#shot1"]
        assert index.item_ids_of(ids) == [index.item_id_of(i) for i in ids] == ["2", "nope", "1", "1", "1"]

    def test_search_items_with_many_shots_per_item_still_finds_k_items(self, tmp_path):
        rng = np.random.default_rng(3)
        index = self.make_index(tmp_path / "index", DIM)
        centre = unit(rng.standard_normal(DIM))
        ids, vecs, pays = [], [], []
        for item in range(30):
            for shot in range(40):  # 40 shots of each item, all close to the centre
                ids.append(f"{item}#shot{shot}")
                vecs.append(unit(centre + 0.3 * rng.standard_normal(DIM)))
                pays.append({"item_id": str(item), "kind": "shot"})
        index.add(ids, np.array(vecs), pays)
        hits = index.search_items(centre, 25)
        assert len(hits) == 25 and len({h.item_id for h in hits}) == 25
        scores = [h.score for h in hits]
        assert scores == sorted(scores, reverse=True)
        best = {}
        for vec, p in zip(vecs, pays, strict=True):
            best[p["item_id"]] = max(best.get(p["item_id"], -math.inf), float(np.dot(vec, centre)))
        expected = sorted(best, key=lambda i: -best[i])[:25]
        assert [h.item_id for h in hits] == expected
