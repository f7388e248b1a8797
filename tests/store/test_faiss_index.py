"""The FAISS backend: the shared contract (flat, IVF and HNSW), plus what is particular to it."""

from __future__ import annotations

import os
import threading

import faiss
import numpy as np
import pytest
from index_contract import DIM, VectorIndexContract, brute_force, random_payloads, subset, unit

from vidrec.errors import StoreError
from vidrec.store.faiss_index import FaissIndex
from vidrec.store.vector_index import Filter


class TestFaissFlat(VectorIndexContract):
    def make_index(self, path, dim):
        return FaissIndex(dim, path)

    def open_index(self, path, dim):
        return FaissIndex.open(path, dim)


class TestFaissIVF(VectorIndexContract):
    """IVF from 1000 vectors on, so the 5k contract data runs on it (retrained once at 4000)."""

    exact_unfiltered = False
    min_unfiltered_recall = 0.85  # measured 0.93: random vectors, no clusters, the worst case for IVF

    def make_index(self, path, dim):
        return FaissIndex(dim, path, ivf_threshold=1000)

    def open_index(self, path, dim):
        return FaissIndex.open(path, dim, ivf_threshold=1000)

    def test_the_contract_data_is_held_in_ivf(self, filled):
        assert filled.is_ivf


class TestFaissHNSW(VectorIndexContract):
    """HNSW from 1000 vectors on, so the 5k contract data (and its upserts and deletes) runs on the graph."""

    exact_unfiltered = False
    min_unfiltered_recall = 0.9

    def make_index(self, path, dim):
        return FaissIndex(dim, path, hnsw_threshold=1000)

    def open_index(self, path, dim):
        return FaissIndex.open(path, dim, hnsw_threshold=1000)

    def test_the_contract_data_is_held_in_hnsw(self, filled):
        assert filled.index_type == "hnsw" and not filled.is_ivf


def clustered(rng: np.random.Generator, n: int, dim: int = DIM, centres: int = 50, spread: float = 0.5):
    """Vectors around a few centres, like embeddings of a catalog (where IVF is meant to work)."""
    c = unit(rng.standard_normal((centres, dim)))
    return unit(c[rng.integers(centres, size=n)] + spread * unit(rng.standard_normal((n, dim))))


def test_switches_to_ivf_past_the_threshold_and_stays_ivf_after_reopening(tmp_path):
    rng = np.random.default_rng(0)
    vecs = clustered(rng, 3000)
    index = FaissIndex(DIM, tmp_path / "v.index", ivf_threshold=2000)
    index.add([str(i) for i in range(1999)], vecs[:1999], [{}] * 1999)
    assert not index.is_ivf
    index.add(["1999"], vecs[1999:2000], [{}])
    assert index.is_ivf and len(index) == 2000
    index.add([str(i) for i in range(2000, 3000)], vecs[2000:], [{}] * 1000)
    index.save()
    again = FaissIndex.open(tmp_path / "v.index", DIM, ivf_threshold=2000)
    assert again.is_ivf and len(again) == 3000
    assert again.search(vecs[2500], 1)[0][0] == "2500"
    again.delete(["2500"])
    again.add(["x"], vecs[2500:2501], [{"category": "moved"}])
    assert again.search(vecs[2500], 1, Filter(category={"moved"})) == [("x", pytest.approx(1.0, abs=1e-4))]


def test_ivf_is_retrained_when_the_index_has_grown_fourfold(tmp_path):
    rng = np.random.default_rng(1)
    vecs = clustered(rng, 4000)
    index = FaissIndex(DIM, ivf_threshold=500)
    index.add([str(i) for i in range(500)], vecs[:500], [{}] * 500)
    first = index._trained_n
    index.add([str(i) for i in range(500, 4000)], vecs[500:], [{}] * 3500)
    assert first == 500 and index._trained_n == 4000


def test_ivf_recall_on_clustered_vectors(tmp_path):
    rng = np.random.default_rng(2)
    vecs = clustered(rng, 20_000)
    ids = [str(i) for i in range(len(vecs))]
    index = FaissIndex(DIM, ivf_threshold=1000)
    index.add(ids, vecs, [{}] * len(ids))
    queries = clustered(np.random.default_rng(3), 50)
    exact = vecs @ queries.T
    recalls = []
    for qi, q in enumerate(queries):
        truth = set(np.argsort(-exact[:, qi])[:10].astype(str))
        recalls.append(len(truth & {h[0] for h in index.search(q, 10)}) / 10)
    assert np.mean(recalls) >= 0.9


def test_ivf_probes_more_lists_for_narrow_filters_and_never_misses_a_lone_match(tmp_path):
    rng = np.random.default_rng(4)
    vecs = clustered(rng, 8000)
    ids = [str(i) for i in range(len(vecs))]
    pays = random_payloads(rng, len(ids))
    index = FaissIndex(DIM, ivf_threshold=1000, exhaustive_below=0)  # force the adaptive path
    index.add(ids, vecs, pays)
    # a lone vector far from the query lives in a list nprobe would never reach: the retry with every list finds it
    assert [h[0] for h in index.search(-vecs[77], 5, Filter(ids={"77"}))] == ["77"]
    reference = {i: (v, p) for i, v, p in zip(ids, vecs, pays, strict=True)}
    f = Filter(category={f"cat{i}" for i in range(20)})  # keeps ~40 %
    kept = subset(reference, f)
    recalls = []
    for q in clustered(np.random.default_rng(5), 30):
        truth = {vid for vid, _ in brute_force(kept, q, 10, None)}
        got = index.search(q, 10, f)
        assert all(f.matches(vid, reference[vid][1]) for vid, _ in got)
        recalls.append(len(truth & {vid for vid, _ in got}) / 10)
    assert np.mean(recalls) >= 0.9


def near_and_far(seed: int = 8):
    """Half the vectors around an axis ("near"), half around its opposite ("far"), and the axis as the query."""
    rng = np.random.default_rng(seed)
    axis = unit(rng.standard_normal(DIM))
    near = unit(axis + 0.4 * unit(rng.standard_normal((2000, DIM))))
    far = unit(-axis + 0.4 * unit(rng.standard_normal((2000, DIM))))
    ids = [str(i) for i in range(4000)]
    pays = [{"category": "near"}] * 2000 + [{"category": "far"}] * 2000
    return axis, ids, np.concatenate([near, far]), pays


def test_ivf_probes_past_lists_without_matches_to_reach_the_filtered_vectors():
    axis, ids, vecs, pays = near_and_far()
    index = FaissIndex(DIM, ivf_threshold=1000, nprobe=8, exhaustive_below=0)
    index.add(ids, vecs, pays)
    ivf = faiss.extract_index_ivf(index._index)
    far = index._mask(Filter(category={"far"}))
    lists_with_far = len(set(index._list_of[: len(far)][far].tolist()))
    lists_near_the_axis = ivf.nlist - lists_with_far
    nprobe = index._filtered_nprobe(ivf, axis[None, :], far, len(index))
    assert lists_near_the_axis < nprobe < ivf.nlist  # skipped the near lists, did not probe everything
    uncorrelated = index._mask(Filter(ids={str(i) for i in range(0, 4000, 2)}))  # half of every list
    assert 8 <= index._filtered_nprobe(ivf, axis[None, :], uncorrelated, len(index)) <= 24
    got = index.search(axis, 10, Filter(category={"far"}))
    assert len(got) == 10 and all(pays[int(vid)]["category"] == "far" for vid, _ in got)


def test_ivf_retries_with_every_list_when_the_probed_lists_hold_fewer_than_k_matches():
    axis, ids, vecs, pays = near_and_far()
    # nprobe=1: the probed lists hold ~one list's worth (~32) of matches, fewer than k=100: searched again, exactly
    index = FaissIndex(DIM, ivf_threshold=1000, nprobe=1, exhaustive_below=0)
    index.add(ids, vecs, pays)
    f = Filter(category={"far"})
    reference = {i: (v, p) for i, v, p in zip(ids, vecs, pays, strict=True)}
    got = index.search(axis, 100, f)
    assert [vid for vid, _ in got] == [vid for vid, _ in brute_force(reference, axis, 100, f)]


def test_a_failed_save_leaves_the_previous_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "v.index"
    index = FaissIndex(4, path)
    index.add(["a"], unit(np.eye(4))[:1], [{"n": 1}])
    index.save()
    index.add(["b"], unit(np.eye(4))[1:2], [{"n": 2}])

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(StoreError, match="disk space"):
        index.save()
    monkeypatch.undo()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v.index"]  # no temporary left behind
    again = FaissIndex.open(path, 4)
    assert len(again) == 1 and again.payload("a") == {"n": 1}


def test_temporaries_of_a_crashed_save_are_removed_on_open(tmp_path):
    path = tmp_path / "v.index"
    FaissIndex(4, path).save()
    dead_pid = 2**22 + 12345  # above the default pid_max, so no process has it
    stale = tmp_path / f"v.index.tmp-{dead_pid}-1"
    stale.write_bytes(b"half a file")
    FaissIndex.open(path, 4)
    assert not stale.exists()


@pytest.mark.parametrize("content", [b"", b"not an index at all", b"PK\x03\x04 truncated zip"])
def test_a_corrupt_file_is_a_clear_store_error(tmp_path, content):
    path = tmp_path / "v.index"
    path.write_bytes(content)
    with pytest.raises(StoreError, match="rebuild"):
        FaissIndex.open(path, 4)


def test_a_truncated_real_file_is_a_clear_store_error(tmp_path):
    path = tmp_path / "v.index"
    index = FaissIndex(DIM, path)
    index.add(
        [str(i) for i in range(100)], unit(np.random.default_rng(0).standard_normal((100, DIM))), [{}] * 100
    )
    index.save()
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(StoreError, match="rebuild"):
        FaissIndex.open(path, DIM)


def test_an_index_without_a_path_cannot_be_saved():
    with pytest.raises(StoreError, match="no path"):
        FaissIndex(4).save()


def test_a_reader_picks_up_what_a_writer_saved(tmp_path):
    path = tmp_path / "v.index"
    writer = FaissIndex(4, path)
    writer.add(["a"], unit(np.eye(4))[:1], [{}])
    writer.save()
    reader = FaissIndex.open(path, 4)
    assert reader.refresh() is False
    writer.add(["b"], unit(np.eye(4))[1:2], [{"category": "new"}])
    assert len(reader) == 1  # nothing saved yet
    writer.save()
    assert reader.refresh() is True
    assert len(reader) == 2 and reader.search(unit(np.eye(4))[1], 1, Filter(category={"new"}))[0][0] == "b"


def test_concurrent_searches_while_writing(tmp_path):
    rng = np.random.default_rng(6)
    vecs = unit(rng.standard_normal((3000, DIM)))
    pays = random_payloads(rng, 3000)
    index = FaissIndex(DIM, ivf_threshold=2000)
    index.add([str(i) for i in range(1000)], vecs[:1000], pays[:1000])
    errors: list[BaseException] = []
    stop = threading.Event()

    def read(seed: int) -> None:
        local = np.random.default_rng(seed)
        try:
            while not stop.is_set():
                q = unit(local.standard_normal(DIM))
                for f in (None, Filter(category={"cat1", "cat2"}), Filter(price_max=300.0)):
                    hits = index.search(q, 10, f)
                    scores = [s for _, s in hits]
                    assert scores == sorted(scores, reverse=True)
                    assert len({h[0] for h in hits}) == len(hits)
                index.search_items(q, 5)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=read, args=(s,)) for s in range(3)]
    for t in threads:
        t.start()
    try:
        for start in range(1000, 3000, 250):  # crosses the IVF threshold while readers run
            index.add(
                [str(i) for i in range(start, start + 250)],
                vecs[start : start + 250],
                pays[start : start + 250],
            )
            index.delete([str(i) for i in range(start - 1000, start - 900)])
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not errors, errors[0]
    assert index.is_ivf and len(index) == 3000 - 800


def test_dirty_tracks_unsaved_changes(tmp_path):
    index = FaissIndex.open(tmp_path / "v.index", 4)
    assert not index.dirty
    index.add(["a", "b"], unit(np.eye(4))[:2], [{}, {}])
    assert index.dirty
    index.save()
    assert not index.dirty
    index.delete(["missing"])
    assert not index.dirty
    index.delete(["a"])
    assert index.dirty
    assert not FaissIndex.open(tmp_path / "v.index", 4).dirty


def test_switches_to_hnsw_past_the_threshold_and_keeps_deletes_across_reopening(tmp_path):
    rng = np.random.default_rng(5)
    vecs = clustered(rng, 3000)
    index = FaissIndex(DIM, tmp_path / "v.index", ivf_threshold=1000, hnsw_threshold=2000)
    index.add([str(i) for i in range(1500)], vecs[:1500], [{}] * 1500)
    index.delete(["7"])  # a free label in IVF: the switch renumbers the labels
    assert index.index_type == "ivf"
    index.add([str(i) for i in range(1500, 3000)], vecs[1500:], [{"category": "b"}] * 1500)
    assert index.index_type == "hnsw" and len(index) == 2999
    index.delete(["2500"])
    index.add(["2600"], vecs[2600:2601], [{"category": "moved"}])  # an upsert: a new label, the old one dead
    assert len(index) == 2998 and index._dead == 2
    index.save()
    again = FaissIndex.open(tmp_path / "v.index", DIM, hnsw_threshold=2000)
    assert again.index_type == "hnsw" and len(again) == 2998 and again._dead == 2
    assert all(hit != "2500" for hit, _ in again.search(vecs[2500], 50))
    assert again.search(vecs[2600], 1, Filter(category={"moved"})) == [("2600", pytest.approx(1.0, abs=1e-4))]
    assert again.search(vecs[2600], 1, Filter(category={"b"}))[0][0] != "2600"
    again.add(["2500"], vecs[2500:2501], [{}])  # a deleted id comes back under a new label
    assert again.search(vecs[2500], 1)[0][0] == "2500" and np.allclose(again.vector("2500"), vecs[2500])


def test_hnsw_graph_is_rebuilt_when_a_quarter_of_it_is_deleted(tmp_path):
    rng = np.random.default_rng(6)
    vecs = clustered(rng, 2000)
    index = FaissIndex(DIM, hnsw_threshold=1000)
    index.add([str(i) for i in range(2000)], vecs, [{}] * 2000)
    index.delete([str(i) for i in range(0, 2000, 5)])  # 20 %: dead labels stay in the graph
    assert index._dead == 400 and index._index.ntotal == 2000
    index.delete([str(i) for i in range(1, 2000, 5)])  # 40 %: rebuilt without them
    assert index._dead == 0 and index._index.ntotal == 1200 and len(index) == 1200
    assert index.search(vecs[3], 1)[0][0] == "3"


def test_hnsw_filters_narrow_exactly_and_wide_through_a_longer_walk():
    rng = np.random.default_rng(7)
    n = 6000
    vecs = clustered(rng, n, centres=30, spread=0.6)
    payloads = random_payloads(rng, n)
    index = FaissIndex(DIM, hnsw_threshold=1000, exhaustive_below=400)
    index.add([str(i) for i in range(n)], vecs, payloads)
    data = {str(i): (vecs[i], payloads[i]) for i in range(n)}
    narrow = Filter(category={"cat1"})  # ~120 vectors: exact over them
    wide = Filter(price_max=400.0)  # ~36 %: the graph walk with more candidates
    queries = unit(rng.standard_normal((20, DIM)))
    recalls = []
    for q in queries:
        got, want = index.search(q, 10, narrow), brute_force(data, q, 10, narrow)
        assert [v for v, _ in got] == [v for v, _ in want]
        assert np.allclose([s for _, s in got], [s for _, s in want], atol=1e-5)
        want = {vid for vid, _ in brute_force(data, q, 10, wide)}
        got = index.search(q, 10, wide)
        assert len(got) == 10 and all(data[vid][1].get("price", 1e9) <= 400.0 for vid, _ in got)
        recalls.append(len(want & {vid for vid, _ in got}) / 10)
    assert np.mean(recalls) >= 0.95


def test_ivf_probes_more_lists_for_a_filter_the_larger_the_probe_exponent():
    axis, ids, vecs, pays = near_and_far()
    index = FaissIndex(DIM, ivf_threshold=1000, nprobe=4, exhaustive_below=0)
    index.add(ids, vecs, pays)
    ivf = faiss.extract_index_ivf(index._index)
    half = index._mask(Filter(ids={str(i) for i in range(0, 4000, 2)}))  # half of every list
    probed = []
    for exponent in (0.0, 1.0, 2.0):
        index.filter_probe_exponent = exponent
        probed.append(index._filtered_nprobe(ivf, axis[None, :], half, len(index)))
    # kept share 1/2: lists holding 4 lists' worth of kept vectors (~8 lists), then x2, then x4
    assert probed[0] < probed[1] < probed[2] <= ivf.nlist
    assert 1.5 <= probed[1] / probed[0] <= 2.5
    assert FaissIndex(DIM, filter_probe_exponent=0.5).filter_probe_exponent == 0.5


def test_ivf_keeps_a_filters_per_list_counts_until_the_rows_change():
    axis, ids, vecs, pays = near_and_far()
    index = FaissIndex(DIM, ivf_threshold=1000, nprobe=4, exhaustive_below=0)
    index.add(ids, vecs, pays)
    f = Filter(category={"far"})
    first = index.search(axis, 10, f)
    counts = next(iter(index._list_counts.values()))
    assert int(counts.sum()) == 2000
    assert index.search(axis, 10, f) == first and next(iter(index._list_counts.values())) is counts  # reused
    index.delete([str(i) for i in range(2000, 2100)])  # 100 "far" vectors gone: counted again
    assert not index._list_counts
    again = index.search(axis, 10, f)
    assert int(next(iter(index._list_counts.values())).sum()) == 1900
    assert all(int(vid) >= 2100 for vid, _ in again)
    # the exact path (a filter keeping at most exhaustive_below) searches the same lists from the same counts
    index.exhaustive_below = 10_000
    reference = {i: (v, p) for i, v, p in zip(ids[:2000] + ids[2100:], np.concatenate([vecs[:2000], vecs[2100:]]),
                                               pays[:2000] + pays[2100:], strict=True)}
    assert [v for v, _ in index.search(axis, 10, f)] == [v for v, _ in brute_force(reference, axis, 10, f)]


def test_hnsw_filter_exponent_widens_the_walk_of_a_filtered_search(monkeypatch):
    rng = np.random.default_rng(9)
    vecs = clustered(rng, 1500)
    index = FaissIndex(DIM, hnsw_threshold=1000, exhaustive_below=0, hnsw_ef_search=16)
    index.add([str(i) for i in range(1500)], vecs, [{"category": "a" if i % 4 else "b"} for i in range(1500)])
    seen = []
    search = index._index.search

    def spy(x, k, params=None):
        seen.append(params.efSearch)
        return search(x, k, params=params)

    monkeypatch.setattr(index._index, "search", spy)
    f = Filter(category={"b"})  # keeps a quarter
    for exponent in (0.0, 0.5, 1.0):
        index.hnsw_filter_exponent = exponent
        index.search(vecs[0], 5, f)
    assert seen == [16, 32, 64]


def test_ivf_filter_probes_at_least_the_unfiltered_lists_when_the_query_sits_in_large_lists():
    # a dense region around the query (its lists are large) and a sparse rest: a filter keeping 80 % of every list
    # must probe as far as the unfiltered search (counting average lists stopped it after a few of the large ones)
    rng = np.random.default_rng(10)
    axis = unit(rng.standard_normal(DIM))
    dense = unit(axis + 0.3 * unit(rng.standard_normal((4000, DIM))))
    sparse = unit(rng.standard_normal((2000, DIM)))
    vecs = np.concatenate([dense, sparse])
    index = FaissIndex(DIM, ivf_threshold=1000, nprobe=8, exhaustive_below=0)
    index.add([str(i) for i in range(6000)], vecs, [{"category": "b" if i % 5 == 0 else "a"} for i in range(6000)])
    ivf = faiss.extract_index_ivf(index._index)
    sizes = index._list_sizes(ivf.nlist)
    _, order = ivf.quantizer.search(axis[None, :], ivf.nlist)
    assert sizes[order[0][:8]].mean() > 1.5 * sizes.mean()  # the closest lists are the large ones
    most = index._mask(Filter(category={"a"}))
    assert 8 <= index._filtered_nprobe(ivf, axis[None, :], most, len(index)) <= 12
