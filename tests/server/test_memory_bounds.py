"""Every in-memory structure of the server keyed by something callers choose (an item id, a thumbnail) stays
bounded however many keys come (issue 19: memory flat under load). The query memo, the query cache, the rate
limiter's buckets and the session locks have theirs in test_load_query_memo.py, test_query_cache.py,
test_limits.py and tests/dialog/test_sessions.py; the store's connections in tests/store/test_metadata_store.py."""

from __future__ import annotations

import threading

from vidrec.library import Library
from vidrec.server.media import Thumbnails


def test_thumbnail_locks_are_forgotten_when_idle(tmp_path):
    thumbs = Thumbnails(tmp_path)
    busy = thumbs._lock("busy")
    busy.acquire()  # a thumbnail being decoded right now keeps its lock
    try:
        for n in range(20_000):
            with thumbs._lock(f"thumb-{n}"):
                pass
        assert len(thumbs._locks) <= 4097
        assert thumbs._lock("busy") is busy
    finally:
        busy.release()


def test_unknown_item_ids_do_not_grow_the_profile_cache(store_copy):
    library = Library.open(store_copy, readonly=True)
    try:
        library._profile_cache = 500  # the default is 4,096; the same code with fewer keys to send
        for n in range(2_000):
            assert library.profile(f"no-such-item-{n}") is None
        assert len(library._profiles) == 500
        known = next(library.item_ids())
        assert library.profile(known) is not None and len(library._profiles) == 500
    finally:
        library.close()


def test_the_profile_cache_is_shared_safely_by_threads(store_copy):
    library = Library.open(store_copy, readonly=True)
    library._profile_cache = 100
    errors: list[BaseException] = []

    def ask(base: int) -> None:
        try:
            for n in range(500):
                library.profile(f"other-{base}-{n}")
        except BaseException as exc:  # collected: a thread's exception would otherwise be lost
            errors.append(exc)

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert errors == [] and len(library._profiles) == 100
        assert library.store.metadata.open_connections == 1  # the four threads ended: their connections closed
    finally:
        library.close()


def test_thumbnails_kept_in_memory_stay_within_their_bytes_and_go_with_the_library(store_copy, tmp_path):
    thumbs = Thumbnails(tmp_path / "thumbs", memo_bytes=60_000)
    library = Library.open(store_copy, readonly=True)
    try:
        ids = list(library.item_ids())[:6]
        first = {}
        for item_id in ids:
            for width in (160, 320):
                thumb = thumbs.jpeg(library, item_id, None, width)
                assert thumb.data[:2] == b"\xff\xd8" and thumb.data == thumb.path.read_bytes()
                first[(item_id, width)] = thumb
                stats = thumbs.memo_stats()
                assert stats["bytes"] <= 60_000 and stats["bytes"] == sum(len(t.data) for t in thumbs._memo.values())
        assert thumbs.memo_stats()["thumbnails"] < 2 * len(ids)  # the oldest went to make room
        last = (ids[-1], 320)
        assert thumbs.jpeg(library, *last[:1], None, 320) is first[last]  # the newest comes from memory
    finally:
        library.close()
    again = Library.open(store_copy, readonly=True)  # the store opened again (after an ingest): copies go
    try:
        fresh = thumbs.jpeg(again, ids[-1], None, 320)
        assert fresh is not first[(ids[-1], 320)] and fresh.data == first[(ids[-1], 320)].data
        assert thumbs.memo_stats()["thumbnails"] == 1
    finally:
        again.close()
