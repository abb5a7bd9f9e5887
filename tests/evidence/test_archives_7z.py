"""7z archives, inside evidence and as evidence items, made by Debian's ``7z`` (p7zip-full).

The oracle is 7-Zip itself: ``7z l -slt`` lists each member's path and size, and the files the archive was
made from are the contents. Vigilant reads 7z through libarchive, a separate implementation.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from tests.evidence import make_images as mk
from tests.evidence.cli_triage import triage_cli
from tests.evidence.test_archives import _entry, _expanded, _reads
from vigilant.errors import ExitCode
from vigilant.evidence.archive_budget import ArchiveLimits, ArchiveProblem, ProblemKind
from vigilant.evidence.archive_formats import archive_kind
from vigilant.evidence.container import ContainerWalk
from vigilant.evidence.sources import sources
from vigilant.store import Database

FILES = {
    "notes.txt": mk.text(1, 30),
    "pictures/photo.jpg": mk.picture(2, "JPEG"),
    "pictures/deep/drawing.png": mk.picture(3, "PNG"),
    "noise.bin": mk.random_bytes(4, 300_000),
    "empty.txt": b"",
}


def make_7z(work: Path, name: str, files: dict[str, bytes], *options: str) -> Path:
    mk.require("7z")
    src = work / f"{name}-src"
    mk.write_tree(src, files)
    target = work / name
    mk.run("7z", "a", "-bd", "-y", *options, target, ".", cwd=src)
    return target


def seven_zip_listing(archive: Path) -> dict[str, tuple[int, bool]]:
    """Path -> (size, encrypted) of each file member, as 7-Zip lists it (``7z l -slt``)."""
    out = mk.run("7z", "l", "-slt", "-p", archive)  # -p with no password: never waits for one
    found = {}
    for block in out.split("----------", 1)[1].split("\n\n"):
        fields = dict(re.findall(r"^(\w[\w ]*?) = ?(.*)$", block, re.MULTILINE))
        if "Path" in fields and not fields.get("Attributes", "").startswith("D"):
            found[fields["Path"]] = (int(fields["Size"] or 0), fields.get("Encrypted") == "+")
    return found


def test_7z_members_agree_with_7zip(tmp_path: Path) -> None:
    archive = make_7z(tmp_path, "photos.7z", FILES)
    assert archive_kind(archive.read_bytes()[:512]) == "7z"
    folder = tmp_path / "seized"
    folder.mkdir()
    [entry] = _entry(folder, "holiday.dat", archive.read_bytes())  # told by content, not by name
    reads = _reads(_expanded(entry))
    assert {a.members[-1]: (len(d or b""), False) for a, d in reads} == seven_zip_listing(archive)
    assert {a.members[-1]: d for a, d in reads} == FILES
    assert all(a.path == "/holiday.dat" for a, _ in reads)


def test_7z_nested_in_a_zip_and_a_zip_in_a_7z(tmp_path: Path) -> None:
    from tests.evidence import make_archives as ma  # noqa: PLC0415

    inner = make_7z(tmp_path, "inner.7z", {"inside.txt": mk.text(5, 3)})
    outer = make_7z(tmp_path, "outer.7z", {"bundle.zip": ma.zip_bytes({"deeper.txt": mk.text(6, 2)})})
    [entry] = _entry(tmp_path, "wrap.zip", ma.zip_bytes({"inner.7z": inner.read_bytes()}))
    assert [(a.members, d) for a, d in _reads(_expanded(entry))][1:] == [
        (("inner.7z", "inside.txt"), mk.text(5, 3))
    ]
    [entry] = _entry(tmp_path, "outer-copy.7z", outer.read_bytes())
    members = [a.members for a, _ in _reads(_expanded(entry))]
    assert members == [("bundle.zip",), ("bundle.zip", "deeper.txt")]


def test_encrypted_7z_members_are_listed_not_read(tmp_path: Path) -> None:
    archive = make_7z(tmp_path, "locked.7z", FILES, "-psecret")
    [entry] = _entry(tmp_path, "locked-copy.7z", archive.read_bytes())
    items = _expanded(entry)
    assert not [i for i in items if isinstance(i, ArchiveProblem)]
    listed = seven_zip_listing(archive)
    assert sum(encrypted for _, encrypted in listed.values()) == 4  # the empty file has no data to encrypt
    assert {a.members[-1]: d for a, d in _reads(items)} == {
        name: None if encrypted else b"" for name, (_, encrypted) in listed.items()
    }


def test_7z_with_encrypted_names_is_a_problem(tmp_path: Path) -> None:
    archive = make_7z(tmp_path, "hidden.7z", FILES, "-psecret", "-mhe=on")
    [entry] = _entry(tmp_path, "hidden-copy.7z", archive.read_bytes())
    [problem] = _expanded(entry)
    assert isinstance(problem, ArchiveProblem)
    assert "member names are encrypted" in problem.reason


def test_truncated_7z_is_a_problem(tmp_path: Path) -> None:
    archive = make_7z(tmp_path, "cut.7z", FILES, "-mx=0", "-ms=off")
    data = archive.read_bytes()
    [entry] = _entry(tmp_path, "cut-copy.7z", data[: len(data) // 2])
    items = _expanded(entry)
    assert isinstance(items[-1], ArchiveProblem)
    assert "damaged or unreadable 7z" in items[-1].reason


def test_7z_bomb_is_capped(tmp_path: Path) -> None:
    archive = make_7z(tmp_path, "bomb.7z", {f"zeros{i}.bin": bytes(4 << 20) for i in range(4)})
    assert archive.stat().st_size < 100_000
    [entry] = _entry(tmp_path, "bomb-copy.7z", archive.read_bytes())
    items = _expanded(entry, limits=ArchiveLimits(max_total_bytes=6 << 20))
    assert isinstance(items[-1], ArchiveProblem)
    assert items[-1].kind is ProblemKind.CAP
    assert len(_reads(items)) <= 2


# --- a 7z given as evidence -----------------------------------------------------------------------------
def test_7z_as_evidence_lists_and_reads_its_members(tmp_path: Path) -> None:
    archive = make_7z(tmp_path, "phone.7z", FILES)
    assert sources().detect(archive).name == "archive"
    with ContainerWalk(archive) as walk:
        entries = list(walk)
        read = {e.address.members[0]: e.open().read() for e in entries}
        assert walk.unreadable_volumes == []
        assert list(walk.sizes()) == [e.size for e in entries]
    assert read == FILES
    assert str(entries[0].address).startswith("7z > member ")
    with pytest.raises(OSError, match="closed"):
        entries[0].open()


def test_7z_evidence_that_cannot_be_listed_is_an_unreadable_volume(tmp_path: Path) -> None:
    archive = make_7z(tmp_path, "hidden.7z", FILES, "-psecret", "-mhe=on")
    with ContainerWalk(archive) as walk:
        assert list(walk) == []
        [problem] = walk.unreadable_volumes
    assert "member names are encrypted" in problem.reason


def test_triage_of_a_7z_evidence_item(
    db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    archive = make_7z(tmp_path, "extraction.7z", FILES)
    done = triage_cli(archive, "phone", capsys, tmp_path)
    assert done.code == ExitCode.OK
    assert done.item["type"] == "archive"
    assert done.item["hashes"]["sha256"] == hashlib.sha256(archive.read_bytes()).hexdigest()
    assert done.sha256 == {
        f"7z > member {name}": hashlib.sha256(data).hexdigest() for name, data in FILES.items()
    }
    assert done.status["verification"]["ok"]
