"""Per-set indexes built from the store agree with it, and follow sets being removed and re-imported."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tests.library.helpers import entry, md5_of
from vigilant.hashing.digests import MD5, SHA256
from vigilant.library.importer import ImportRequest, import_hash_set
from vigilant.library.indexes import LibraryIndexes
from vigilant.library.samples import write_vics
from vigilant.library.store import LibraryStore
from vigilant.security.rights import Actor
from vigilant.store import Database


def _import(store: LibraryStore, path: Path, n: int) -> None:
    write_vics(path, [entry(i) for i in range(n)], version="2.0", form="media")
    import_hash_set(store, ImportRequest(path, actor=Actor.cli("ann"), name="S", version="1"))


def test_exact_index_holds_exactly_the_sets_digests(db: Database, tmp_path: Path) -> None:
    store = LibraryStore(db)
    _import(store, tmp_path / "s.json", 300)
    indexes = LibraryIndexes(store, tmp_path / "idx")
    [info] = store.list_sets()
    md5 = indexes.exact(info, MD5)
    assert len(md5) == 300
    queries = np.frombuffer(b"".join(bytes.fromhex(md5_of(i)) for i in range(250, 350)), np.uint8).reshape(
        -1, 16
    )
    assert md5.contains(queries).tolist() == [i < 300 for i in range(250, 350)]
    assert len(indexes.exact(info, SHA256)) == 300
    # A second manager (another process) opens the folders instead of rebuilding them.
    again = LibraryIndexes(store, tmp_path / "idx").exact(info, MD5)
    assert again.contains(queries).tolist() == md5.contains(queries).tolist()


def test_removed_and_reimported_sets_get_fresh_indexes(db: Database, tmp_path: Path) -> None:
    store = LibraryStore(db)
    path = tmp_path / "s.json"
    _import(store, path, 20)
    indexes = LibraryIndexes(store, tmp_path / "idx")
    [first] = store.list_sets()
    indexes.build_all()
    store.remove_set(first.id)
    assert [p.name for p in indexes.prune()] == [indexes.folder(first).name]
    import_hash_set(store, ImportRequest(path, actor=Actor.cli("ann"), name="S", version="1"))
    [second] = store.list_sets()
    assert indexes.folder(second) != indexes.folder(first)
    fresh = LibraryIndexes(store, tmp_path / "idx")
    found = fresh.pdq(second).search([bytes(32)], 256)
    assert len(found) == 0  # the synthetic entries carry no PDQ
    assert len(fresh.exact(second, MD5)) == 20


def test_a_long_lived_manager_never_serves_a_removed_sets_index_for_a_new_set(
    db: Database, tmp_path: Path
) -> None:
    """A server keeps one manager for its life: a set removed and another imported in its place (SQLite gives
    the new set the freed id) must be matched against its own entries, never the removed set's."""
    store = LibraryStore(db)
    indexes = LibraryIndexes(store, tmp_path / "idx")
    _import(store, tmp_path / "a.json", 20)
    [first] = store.list_sets()
    assert len(indexes.exact(first, MD5)) == 20
    store.remove_set(first.id)
    write_vics(tmp_path / "b.json", [entry(i) for i in range(100, 130)], version="2.0", form="media")
    import_hash_set(store, ImportRequest(tmp_path / "b.json", actor=Actor.cli("ann"), name="T", version="1"))
    [second] = store.list_sets()
    md5 = indexes.exact(second, MD5)
    assert len(md5) == 30
    queries = np.frombuffer(b"".join(bytes.fromhex(md5_of(i)) for i in (5, 105)), np.uint8).reshape(-1, 16)
    assert md5.contains(queries).tolist() == [False, True]
