"""Counting a folder from its listing gives what walking it gives (the progress bar's totals)."""

from __future__ import annotations

import os
from pathlib import Path

from vigilant.evidence.directory import DirectoryWalk
from vigilant.evidence.items import EvidenceInfo
from vigilant.triage.runner import count_entries


def test_sizes_list_the_files_the_walk_lists(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    for name, size in [("a.txt", 3), ("a/b/deep.bin", 70_000), ("a0", 0), ("z.bin", 12)]:
        (tmp_path / name).write_bytes(b"x" * size)
    (tmp_path / "link").symlink_to(tmp_path / "a.txt")  # not listed
    os.mkfifo(tmp_path / "pipe")  # not listed
    entries = list(DirectoryWalk(tmp_path))
    assert list(DirectoryWalk(tmp_path).sizes()) == [e.size for e in entries]
    assert [e.address.path for e in entries] == ["/a.txt", "/a/b/deep.bin", "/a0", "/z.bin"]
    evidence = EvidenceInfo(
        id=1,
        label="x",
        case_number=None,
        source_type="directory",
        path=str(tmp_path),
        size=0,
        hashes={},
        description=None,
    )
    assert count_entries(evidence) == (4, 70_015)
