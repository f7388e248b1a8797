"""LexicalIndex: BM25 on jieba tokens, Chinese and English."""

from __future__ import annotations

import pytest

from vidrec.errors import InputError, StoreError
from vidrec.store.lexical import LexicalIndex, fold_plural, tokens

CATALOG = {
    "dress-red": "红色纯棉连衣裙 夏季新款 只要199元",
    "dress-blue": "蓝色雪纺连衣裙",
    "jeans": "男士牛仔裤 修身 Slim-fit blue JEANS",
    "watch": "Men's steel watches, waterproof",
    "shoes": "White running shoes 白色跑步鞋",
    "tee": "Red cotton T-shirt, summer",
}


@pytest.fixture
def index(tmp_path):
    ix = LexicalIndex(tmp_path / "lexical")
    ix.add(list(CATALOG), list(CATALOG.values()))
    ix.commit()
    yield ix
    ix.close()


def ids(hits):
    return [h[0] for h in hits]


def test_tokens_split_chinese_words_inside_longer_runs_and_normalise_english():
    assert {"红色", "纯棉", "连衣裙"} <= set(tokens("红色纯棉连衣裙"))
    assert tokens("Summer DRESSES, ＲＥＤ!") == ["summer", "dress", "red"]
    assert tokens("，。！？ ... ---") == []
    assert "199" in tokens("只要199元")


@pytest.mark.parametrize(
    ("word", "folded"),
    [
        ("dresses", "dress"),
        ("dress", "dress"),
        ("shoes", "shoe"),
        ("jeans", "jean"),
        ("watches", "watch"),
        ("accessories", "accessory"),
        ("boxes", "box"),
        ("bags", "bag"),
        ("glass", "glass"),
        ("bus", "bus"),
        ("连衣裙", "连衣裙"),
        ("s", "s"),
        ("T2s", "T2s"),
    ],
)
def test_fold_plural(word, folded):
    assert fold_plural(word) == folded


def test_a_chinese_word_matches_inside_a_longer_title(index):
    assert set(ids(index.search("连衣裙"))) == {"dress-red", "dress-blue"}
    assert ids(index.search("纯棉")) == ["dress-red"]
    assert ids(index.search("跑步鞋")) == ["shoes"]


def test_more_matching_words_rank_higher(index):
    assert ids(index.search("红色连衣裙"))[0] == "dress-red"
    assert ids(index.search("蓝色 连衣裙"))[0] == "dress-blue"
    assert ids(index.search("red summer t-shirt"))[0] == "tee"


def test_english_is_case_and_plural_insensitive(index):
    assert ids(index.search("jeans")) == ["jeans"]
    assert ids(index.search("Jean")) == ["jeans"]
    assert ids(index.search("WATCH")) == ["watch"]
    assert ids(index.search("shoe")) == ["shoes"]


def test_mixed_language_query(index):
    assert ids(index.search("white 跑步鞋"))[0] == "shoes"


def test_scores_are_positive_and_sorted(index):
    hits = index.search("red 红色 summer 连衣裙", k=10)
    scores = [s for _, s in hits]
    assert all(s > 0 for s in scores) and scores == sorted(scores, reverse=True)


def test_k_limits_and_nothing_for_empty_or_unknown_queries(index):
    assert len(index.search("red 红色 连衣裙 summer", k=2)) == 2
    assert index.search("") == [] and index.search("！！") == [] and index.search("连衣裙", k=0) == []
    assert index.search("zeppelin") == []


def test_restricting_to_candidate_ids(index):
    assert ids(index.search("连衣裙", ids={"dress-blue", "jeans"})) == ["dress-blue"]
    assert index.search("连衣裙", ids=set()) == []
    unrestricted = dict(index.search("连衣裙"))
    restricted = dict(index.search("连衣裙", ids=["dress-red"]))
    assert restricted["dress-red"] == pytest.approx(unrestricted["dress-red"])


def test_add_replaces_and_delete_removes(index):
    index.add(["dress-red"], ["黑色皮鞋 black leather shoes"])
    assert "dress-red" not in ids(index.search("连衣裙"))  # visible without an explicit commit
    assert set(ids(index.search("shoes"))) == {"dress-red", "shoes"}
    index.delete(["shoes", "never-there"])
    assert ids(index.search("shoes")) == ["dress-red"]
    assert len(index) == len(CATALOG) - 1


def test_changes_persist_after_reopening(tmp_path):
    ix = LexicalIndex(tmp_path / "lexical")
    ix.add(["a", "b"], ["红色连衣裙", "blue jeans"])
    ix.close()
    again = LexicalIndex(tmp_path / "lexical")
    assert ids(again.search("连衣裙")) == ["a"] and len(again) == 2
    again.close()


def test_readers_refresh_and_cannot_write(tmp_path):
    writer = LexicalIndex(tmp_path / "lexical")
    writer.add(["a"], ["红色连衣裙"])
    writer.commit()
    reader = LexicalIndex(tmp_path / "lexical", readonly=True)
    assert ids(reader.search("连衣裙")) == ["a"]
    writer.add(["b"], ["蓝色连衣裙"])
    writer.commit()
    reader.refresh()
    assert set(ids(reader.search("连衣裙"))) == {"a", "b"}
    with pytest.raises(StoreError, match="read-only"):
        reader.add(["c"], ["x"])
    writer.close()


def test_a_second_writer_gets_a_clear_error(tmp_path):
    first = LexicalIndex(tmp_path / "lexical")
    first.add(["a"], ["x"])
    second = LexicalIndex(tmp_path / "lexical")
    with pytest.raises(StoreError, match="locked"):
        second.add(["b"], ["y"])
    first.close()
    second.add(["b"], ["y"])  # free once the first writer is closed
    second.close()


def test_read_only_on_a_missing_index_and_mismatched_lengths(tmp_path):
    with pytest.raises(StoreError, match="ingest"):
        LexicalIndex(tmp_path / "missing", readonly=True)
    with pytest.raises(InputError, match="one text per id"):
        LexicalIndex().add(["a", "b"], ["only one"])


def test_a_corrupt_index_is_a_clear_error(tmp_path):
    folder = tmp_path / "lexical"
    folder.mkdir()
    (folder / "meta.json").write_text("{ not json")
    with pytest.raises(StoreError, match="rebuild"):
        LexicalIndex(folder)


def test_searches_from_several_threads_while_one_writes(tmp_path):
    import threading

    ix = LexicalIndex(tmp_path / "lexical")
    ix.add([f"d{i}" for i in range(50)], [f"红色连衣裙 款式{i} red dress" for i in range(50)])
    ix.commit()
    errors: list[BaseException] = []
    stop = threading.Event()

    def read() -> None:
        try:
            while not stop.is_set():
                hits = ix.search("红色 dress", k=5)
                assert len(hits) == 5 and all(h[0].startswith(("d", "n")) for h in hits)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=read) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        for batch in range(10):
            ix.add([f"n{batch}-{i}" for i in range(20)], ["red dress 连衣裙"] * 20)
            ix.commit()
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not errors, errors[0]
    assert len(ix) == 250
    ix.close()
