"""RAR archives, inside evidence and as evidence items.

No free tool writes RAR, and the shared conformance folder holds none: the tests write RAR 4 archives with
stored members themselves (make_rar, to RARLAB's published format), 7-Zip checks them (``7z t``) and lists
them (``7z l -slt``: path, size, encrypted), and Vigilant, reading them through libarchive, must agree.
Compressed RAR and RAR 5 go through the same libarchive reader but cannot be made here.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tests.evidence import make_images as mk
from tests.evidence.cli_triage import triage_cli
from tests.evidence.make_rar import rar4_stored
from tests.evidence.test_archives import _entry, _expanded, _reads
from tests.evidence.test_archives_7z import seven_zip_listing
from vigilant.errors import ExitCode
from vigilant.evidence.archive_budget import ArchiveLimits, ArchiveProblem, ProblemKind
from vigilant.evidence.archive_formats import archive_kind
from vigilant.evidence.container import ContainerWalk
from vigilant.evidence.sources import sources
from vigilant.store import Database

FILES = {
    "notes.txt": mk.text(11, 30),
    "pictures/photo.jpg": mk.picture(12, "JPEG"),
    "noise.bin": mk.random_bytes(13, 200_000),
}


def _rar(work: Path, name: str, encrypted: frozenset[str] = frozenset()) -> Path:
    mk.require("7z")
    path = work / name
    path.write_bytes(rar4_stored(FILES, encrypted=encrypted))
    if not encrypted:  # (7-Zip cannot test what it cannot decrypt)
        assert "Everything is Ok" in mk.run("7z", "t", "-p", path)  # a valid RAR, by 7-Zip's own reader
    return path


def test_rar_members_agree_with_7zip(tmp_path: Path) -> None:
    archive = _rar(tmp_path, "made.rar")
    assert archive_kind(archive.read_bytes()[:512]) == "rar"
    [entry] = _entry(tmp_path, "collection.bin", archive.read_bytes())
    reads = _reads(_expanded(entry))
    assert {a.members[-1]: (len(d or b""), False) for a, d in reads} == seven_zip_listing(archive)
    assert {a.members[-1]: d for a, d in reads} == FILES


def test_encrypted_rar_member_is_listed_not_read(tmp_path: Path) -> None:
    archive = _rar(tmp_path, "locked.rar", encrypted=frozenset({"noise.bin"}))
    assert seven_zip_listing(archive)["noise.bin"] == (200_000, True)
    [entry] = _entry(tmp_path, "locked-copy.rar", archive.read_bytes())
    assert {a.members[-1]: d for a, d in _reads(_expanded(entry))} == FILES | {"noise.bin": None}


def test_truncated_rar_lists_what_comes_before_the_damage(tmp_path: Path) -> None:
    data = _rar(tmp_path, "whole.rar").read_bytes()
    [entry] = _entry(tmp_path, "cut.rar", data[: len(data) - 100_000])  # inside the last member
    items = _expanded(entry)
    assert [a.members[-1] for a, _ in _reads(items)] == ["notes.txt", "pictures/photo.jpg"]
    assert isinstance(items[-1], ArchiveProblem)
    assert "damaged or unreadable rar" in items[-1].reason


def test_rar_under_the_member_cap(tmp_path: Path) -> None:
    [entry] = _entry(tmp_path, "many.rar", rar4_stored({f"f{i}.txt": b"x" for i in range(50)}))
    items = _expanded(entry, limits=ArchiveLimits(max_members=10))
    assert len(_reads(items)) == 10
    assert isinstance(items[-1], ArchiveProblem)
    assert items[-1].kind is ProblemKind.CAP


def test_rar_as_evidence(tmp_path: Path) -> None:
    archive = _rar(tmp_path, "transfer.rar", encrypted=frozenset({"notes.txt"}))
    assert sources().detect(archive).name == "archive"
    with ContainerWalk(archive) as walk:
        entries = list(walk)
        read = {e.address.members[0]: e.open().read() if e.opener else None for e in entries}
        assert list(walk.sizes()) == [e.size for e in entries]
    assert read == FILES | {"notes.txt": None}
    assert entries[0].error == "encrypted member: listed, not read"


def test_triage_of_a_rar_evidence_item(
    db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    archive = _rar(tmp_path, "seized.rar")
    done = triage_cli(archive, "rar-item", capsys, tmp_path)
    assert done.code == ExitCode.OK
    assert done.item["hashes"]["md5"] == hashlib.md5(archive.read_bytes(), usedforsecurity=False).hexdigest()
    expected = {f"rar > member {name}": hashlib.sha256(data).hexdigest() for name, data in FILES.items()}
    assert done.sha256 == expected
    assert done.status["verification"]["ok"]


def test_truncated_rar_as_evidence_reports_where_it_stops(tmp_path: Path) -> None:
    data = _rar(tmp_path, "whole.rar").read_bytes()
    cut = tmp_path / "cut.rar"
    cut.write_bytes(data[: len(data) - 100_000])
    with ContainerWalk(cut) as walk:
        assert [e.address.members[0] for e in walk] == ["notes.txt", "pictures/photo.jpg"]
        [problem] = walk.problems
        assert walk.unreadable_volumes == []
    assert problem.where.endswith("> member noise.bin")
    assert "damaged rar" in problem.reason
    junk = tmp_path / "junk.rar"
    junk.write_bytes(data[:40])  # the signature and little else: nothing can be listed
    with ContainerWalk(junk) as walk:
        assert list(walk) == []
        assert len(walk.unreadable_volumes) == 1
