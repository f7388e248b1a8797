"""Session locks: turns on one session are serialised, other sessions are not blocked, idle locks are dropped."""

import threading

from vidrec.dialog.sessions import SessionLocks


def test_same_session_waits_for_the_holder():
    locks = SessionLocks()
    inside = threading.Event()
    release = threading.Event()
    order = []

    def first():
        with locks.hold("s1"):
            inside.set()
            release.wait(10)
            order.append("first done")

    def second():
        inside.wait(10)
        with locks.hold("s1"):
            order.append("second in")

    a, b = threading.Thread(target=first), threading.Thread(target=second)
    a.start()
    b.start()
    inside.wait(10)
    b.join(0.2)  # cannot get in while the first holds the session
    assert b.is_alive() and order == []
    release.set()
    a.join(10)
    b.join(10)
    assert order == ["first done", "second in"]
    assert len(locks) == 0


def test_other_sessions_are_not_blocked():
    locks = SessionLocks()
    with locks.hold("busy"):
        done = threading.Event()

        def other():
            with locks.hold("free"):
                done.set()

        t = threading.Thread(target=other)
        t.start()
        assert done.wait(10)
        t.join(10)
        assert len(locks) == 1  # only the held one


def test_locks_are_dropped_when_idle():
    locks = SessionLocks()
    for i in range(1000):
        with locks.hold(f"s{i}"):
            pass
    assert len(locks) == 0


def test_a_failing_turn_releases_its_lock():
    locks = SessionLocks()
    try:
        with locks.hold("s"):
            raise RuntimeError("turn failed")
    except RuntimeError:
        pass
    assert len(locks) == 0
    with locks.hold("s"):  # usable again
        pass
