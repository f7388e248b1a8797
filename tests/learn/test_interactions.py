import numpy as np
import pytest

from vidrec.errors import InputError
from vidrec.learn.interactions import (
    EVENT_STRENGTH,
    interactions_from_records,
    items_file_beside,
    load_interactions,
)
from vidrec.learn.matrix import SparseMatrixBuilder, user_item_matrix


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def as_rows(inter):
    return [
        (inter.users.ids[u], inter.items.ids[i], float(t))
        for u, i, t in zip(inter.user, inter.item, inter.timestamp, strict=True)
    ]


def test_csv_unsorted_timestamps_are_sorted_per_user(tmp_path):
    p = write(tmp_path, "log.csv", "user,item,timestamp\nu1,b,20\nu2,x,5\nu1,a,10\nu1,c,30\n")
    inter = load_interactions(p)
    assert as_rows(inter) == [("u1", "a", 10.0), ("u1", "b", 20.0), ("u1", "c", 30.0), ("u2", "x", 5.0)]
    assert [list(map(inter.items.ids.__getitem__, s)) for s in inter.sequences()] == [["a", "b", "c"], ["x"]]


def test_duplicates_collapse_to_latest_time_strongest_event(tmp_path):
    p = write(
        tmp_path,
        "log.csv",
        "user,item,timestamp,event,value\n"
        "u1,a,10,view,5\nu1,a,10,view,5\nu1,b,15,view,\nu1,a,40,purchase,2\nu1,a,30,like,3\n",
    )
    inter = load_interactions(p)
    assert len(inter) == 2
    assert as_rows(inter) == [("u1", "b", 15.0), ("u1", "a", 40.0)]
    assert inter.event[1] == EVENT_STRENGTH["purchase"]
    assert inter.value[1] == 2.0
    assert np.isnan(inter.value[0])  # empty value = missing
    assert inter.dropped["repeated (user, item), collapsed"] == 3


def test_equal_timestamps_keep_file_order(tmp_path):
    p = write(tmp_path, "log.csv", "user,item,timestamp\nu,c,1\nu,a,1\nu,b,1\n")
    inter = load_interactions(p)
    assert [inter.items.ids[i] for i in inter.item] == ["c", "a", "b"]


def test_non_numeric_rating_names_the_row(tmp_path):
    p = write(tmp_path, "log.csv", "user,item,timestamp,rating\nu,a,1,4\nu,b,2,great\n")
    with pytest.raises(InputError, match=r"data row 2: value 'great' is not a number"):
        load_interactions(p)


def test_bad_timestamp_and_missing_timestamp(tmp_path):
    p = write(tmp_path, "log.csv", "user,item,timestamp\nu,a,yesterday\n")
    with pytest.raises(InputError, match="timestamp 'yesterday'"):
        load_interactions(p)
    p = write(tmp_path, "log2.csv", "user,item,timestamp\nu,a,1\nu,b,\n")
    with pytest.raises(InputError, match="data row 2: missing timestamp"):
        load_interactions(p)


def test_iso_dates(tmp_path):
    p = write(tmp_path, "log.csv", "user,item,ts\nu,a,2024-01-02T10:00:00Z\nu,b,2024-01-01 10:00:00\n")
    inter = load_interactions(p)
    assert [inter.items.ids[i] for i in inter.item] == ["b", "a"]
    assert inter.timestamp[1] - inter.timestamp[0] == 86400.0


def test_events_negative_dropped_unknown_rejected(tmp_path):
    p = write(tmp_path, "log.csv", "user,item,timestamp,event\nu,a,1,view\nu,b,2,dislike\nu,c,3,cart\n")
    inter = load_interactions(p)
    assert [inter.items.ids[i] for i in inter.item] == ["a", "c"]
    assert inter.dropped["negative event"] == 1
    # the disliked item stays out of the item vocabulary only if nobody used it
    p = write(tmp_path, "bad.csv", "user,item,timestamp,event\nu,a,1,teleport\n")
    with pytest.raises(InputError, match="unknown event 'teleport'"):
        load_interactions(p)


def test_missing_columns_and_empty_inputs(tmp_path):
    p = write(tmp_path, "log.csv", "who,what\nu,a\n")
    with pytest.raises(InputError, match="no column for user, item, timestamp"):
        load_interactions(p)
    with pytest.raises(InputError, match="empty"):
        load_interactions(write(tmp_path, "empty.csv", ""))
    with pytest.raises(InputError, match="no interactions left"):
        load_interactions(write(tmp_path, "header.csv", "user,item,timestamp\n"))
    with pytest.raises(InputError, match="no such file"):
        load_interactions(tmp_path / "nope.csv")


def test_recbole_inter_and_folder(tmp_path):
    d = tmp_path / "toy"
    d.mkdir()
    write(
        d,
        "toy.inter",
        "user_id:token\titem_id:token\trating:float\ttimestamp:float\n1\t10\t4\t100\n1\t11\t3\t50\n",
    )
    write(d, "toy.item", "item_id:token\tmovie_title:token_seq\n10\tA\n11\tB\n")
    inter = load_interactions(d)
    assert as_rows(inter) == [("1", "11", 50.0), ("1", "10", 100.0)]
    assert list(inter.value) == [3.0, 4.0]
    assert items_file_beside(d) == d / "toy.item"


def test_parquet_streams_in_batches(tmp_path):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    n = 1000
    table = pa.table(
        {
            "user_id": np.arange(n) % 7,
            "item_id": np.arange(n) % 13,
            "timestamp": np.arange(n, dtype=np.int64),
            "rating": np.ones(n),
        }
    )
    p = tmp_path / "log.parquet"
    pq.write_table(table, p, row_group_size=100)
    inter = load_interactions(p, batch_rows=128)
    assert inter.n_users == 7 and inter.n_items == 13
    assert len(inter) == 7 * 13  # every (user, item) pair seen, repeats collapsed
    assert inter.users.ids[0] == "0"


def test_csv_small_blocks_give_the_same_result(tmp_path):
    rows = "".join(f"u{k % 5},i{k % 17},{(k * 7919) % 1000}\n" for k in range(400))
    p = write(tmp_path, "log.csv", "user,item,timestamp\n" + rows)
    a = load_interactions(p, batch_rows=10)
    b = load_interactions(p)
    assert as_rows(a) == as_rows(b)


def test_user_shards_partition_users(tmp_path):
    rows = "".join(f"u{k},i{k % 3},{k}\n" for k in range(50))
    p = write(tmp_path, "log.csv", "user,item,timestamp\n" + rows)
    shards = [set(load_interactions(p, user_shard=(i, 3)).users.ids) for i in range(3)]
    assert set().union(*shards) == {f"u{k}" for k in range(50)}
    assert sum(len(s) for s in shards) == 50
    with pytest.raises(InputError):
        load_interactions(p, user_shard=(3, 3))


def test_store_records():
    rows = [
        ("u1", "a", "view", None, "2024-01-01T00:00:00", "s1"),
        ("u1", "b", "cart", 1.0, "2024-01-02T00:00:00", "s1"),
        ("u2", "a", "reject", None, 1700000000, "s2"),
        ("u2", "c", None, "3", 1700000001, "s2"),
    ]
    inter = interactions_from_records(rows)
    assert inter.users.ids == ["u1", "u2"]
    assert [inter.items.ids[i] for i in inter.item] == ["a", "b", "c"]
    with pytest.raises(InputError, match="not a number"):
        interactions_from_records([{"user_id": "u", "item_id": "a", "ts": 1, "value": "lots"}])


def test_catalog_items_extend_the_vocabulary(tmp_path):
    p = write(tmp_path, "log.csv", "user,item,timestamp\nu,a,1\n")
    inter = load_interactions(p).with_items(["a", "new"])
    assert inter.items.ids == ["a", "new"]
    assert list(inter.item_counts()) == [1, 0]


def test_sparse_builder_matches_direct_construction(tmp_path):
    rng = np.random.default_rng(0)
    r = rng.integers(0, 20, 500)
    c = rng.integers(0, 30, 500)
    b = SparseMatrixBuilder((20, 30), compact_every=64)
    for s in range(0, 500, 50):
        b.add(r[s : s + 50], c[s : s + 50])
    m = b.build()
    dense = np.zeros((20, 30))
    np.add.at(dense, (r, c), 1.0)
    np.testing.assert_array_equal(m.toarray(), dense)
    p = write(tmp_path, "log.csv", "user,item,timestamp\nu,a,1\nu,b,2\nv,a,3\n")
    assert user_item_matrix(load_interactions(p), chunk_rows=1).toarray().tolist() == [[1, 1], [1, 0]]
