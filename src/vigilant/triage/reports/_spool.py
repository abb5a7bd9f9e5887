"""Rows parked on disk during a pass over the records and read back sorted: no second pass, flat memory.

A temporary SQLite file holds each row as JSON under a sort key of integers; the key is packed so that
SQLite's byte-wise comparison of BLOBs is numeric order (negative numbers included).
"""

from __future__ import annotations

import json
import sqlite3
import struct
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

_BIAS = 1 << 63  # maps signed 64-bit integers onto unsigned ones, order kept


class SortedSpool:
    def __init__(self, tmp_dir: Path | None = None) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="vigilant-spool-", dir=tmp_dir)
        self._db = sqlite3.connect(Path(self._dir.name) / "spool.sqlite3")
        # Scratch data, rebuilt on every report: no journal, no fsync.
        self._db.execute("PRAGMA journal_mode = OFF")
        self._db.execute("PRAGMA synchronous = OFF")
        self._db.execute("CREATE TABLE rows (key BLOB PRIMARY KEY, row TEXT NOT NULL) WITHOUT ROWID")
        self.count = 0

    def __enter__(self) -> SortedSpool:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()
        self._dir.cleanup()

    def add(self, key: Sequence[int], row: Sequence[Any]) -> None:
        """Park ``row`` (JSON-able values) under ``key``; keys must be unique and of one length."""
        packed = struct.pack(f">{len(key)}Q", *(k + _BIAS for k in key))
        self._db.execute(
            "INSERT INTO rows VALUES (?, ?)", (packed, json.dumps(list(row), ensure_ascii=False))
        )
        self.count += 1

    def rows(self) -> Iterator[list[Any]]:
        """Every row, in key order."""
        self._db.commit()
        for (row,) in self._db.execute("SELECT row FROM rows ORDER BY key"):
            values: list[Any] = json.loads(row)
            yield values
