"""The dashboard's figures memo under concurrent callers: one computation per key and version, not one per
thread (a fresh PostgreSQL took 1.8 s for one operation's figures, and every handler thread of a process
computed them at once)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from vigilant.web.figures_memo import VersionedMemo

WAIT = 5.0  # seconds: far longer than any of these steps takes, short enough that a hang fails the test


class Refused(Exception):
    pass


def test_callers_of_a_key_being_computed_wait_for_that_computation() -> None:
    memo: VersionedMemo[str] = VersionedMemo()
    started, second_computed = threading.Event(), threading.Event()
    made: list[str] = []

    def first() -> str:
        started.set()
        # Without single flight the second caller computes at once, which ends this wait early.
        second_computed.wait(timeout=1.0)
        made.append("first")
        return "first"

    def second() -> str:
        second_computed.set()
        made.append("second")
        return "second"

    with ThreadPoolExecutor(2) as pool:
        one = pool.submit(memo.get, "coordinator", 7, first)
        assert started.wait(WAIT)
        two = pool.submit(memo.get, "coordinator", 7, second)
        assert (one.result(WAIT), two.result(WAIT)) == ("first", "first")
    assert made == ["first"]


def test_a_failed_computation_lets_a_waiting_caller_compute_its_own() -> None:
    memo: VersionedMemo[str] = VersionedMemo()
    started, release = threading.Event(), threading.Event()

    def refused() -> str:
        started.set()
        release.wait(timeout=WAIT)
        raise Refused

    with ThreadPoolExecutor(2) as pool:
        one = pool.submit(memo.get, "analyst", 3, refused)
        assert started.wait(WAIT)
        two = pool.submit(memo.get, "analyst", 3, lambda: "computed again")
        release.set()
        with pytest.raises(Refused):
            one.result(WAIT)
        assert two.result(WAIT) == "computed again"
    assert memo.get("analyst", 3, lambda: "never") == "computed again"  # the success was kept


def test_another_version_or_key_does_not_wait() -> None:
    memo: VersionedMemo[str] = VersionedMemo()
    started, release = threading.Event(), threading.Event()

    def slow() -> str:
        started.set()
        release.wait(timeout=WAIT)
        return "old"

    with ThreadPoolExecutor(3) as pool:
        one = pool.submit(memo.get, "coordinator", 1, slow)
        assert started.wait(WAIT)
        newer = pool.submit(memo.get, "coordinator", 2, lambda: "new")
        other = pool.submit(memo.get, "analyst", 1, lambda: "theirs")
        assert (newer.result(WAIT), other.result(WAIT)) == ("new", "theirs")  # while "old" still runs
        release.set()
        assert one.result(WAIT) == "old"
    assert memo.get("coordinator", 2, lambda: "never") == "new"  # the older result did not replace it
