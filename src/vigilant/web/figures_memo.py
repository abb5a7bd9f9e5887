"""The dashboard's figures, computed once per change of the records instead of on every request.

An operation's figures take some twenty queries; under 50 connections they were the dashboard's whole
cost. Every change to the records is audited in the same transaction (the security model), so the seq of
the newest change event (:func:`vigilant.security.audit.last_change_seq`, kept on the audit chain's head row)
is the records' version: figures computed under it stay right until it moves. The version is read BEFORE
computing, so figures that saw a later change are at worst recomputed once, never served stale.

Entries are per caller (user, roles, agency: what the visibility rules read) and per day (youth and other
age-dependent figures are as of a date), in a small least-recently-used map per application instance (one
per server process). Refusals are not cached.

One computation per key and version at a time: callers that ask while it runs wait for its answer instead of
computing the same figures beside it. Every handler thread of a process used to compute them at once after a
change or a start, which multiplied the work by the threads on the same cores (on a freshly loaded
PostgreSQL one operation's figures took 1.8 s, and 50 connections waited behind four such computations).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")


class VersionedMemo(Generic[T]):
    """Values by key, each kept with the version it was computed under; a new version recomputes, once."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._entries: OrderedDict[Hashable, tuple[int, T]] = OrderedDict()
        self._running: dict[tuple[Hashable, int], threading.Event] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, version: int, compute: Callable[[], T]) -> T:
        while True:
            with self._lock:
                found = self._entries.get(key)
                if found is not None and found[0] == version:
                    self._entries.move_to_end(key)
                    return found[1]
                running = self._running.get((key, version))
                if running is None:
                    done = self._running[key, version] = threading.Event()
                    break
            # Another caller computes this very value: wait for it, then look again (its answer is kept;
            # if it failed, nothing is, and one of the waiters computes in its turn).
            running.wait()
        try:
            value = compute()  # outside the lock: other keys and versions go on meanwhile
            with self._lock:
                current = self._entries.get(key)
                if current is None or current[0] <= version:
                    self._entries[key] = (version, value)
                    self._entries.move_to_end(key)
                while len(self._entries) > self.size:
                    self._entries.popitem(last=False)
        finally:
            with self._lock:
                del self._running[key, version]
            done.set()
        return value
