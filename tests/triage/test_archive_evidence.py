"""The type of an evidence item is told by its content at `evidence add` (issue 11, A2).

A zip given as evidence was taken for a raw image (any file was) and triaged as 0 files, successfully. Now:
an archive (zip, tar, tar.gz/.bz2/.xz, one gzip file) is a logical container whose members are the files,
addressed as members, with the archive's own digests as acquisition hashes, verified after the run; raw
is chosen only where The Sleuth Kit finds a partition table or a file system; anything else is refused
(exit 4) with a message that names the file and what was looked for; ``--type`` forces a type.
"""

from __future__ import annotations

import gzip
import hashlib
import random
from pathlib import Path

import pytest

from tests.evidence import make_images as mk
from tests.evidence.make_archives import encrypted_zip, tar_bytes, zip_bytes
from tests.triage.test_unread_volumes import mbr_disk, small_ext4
from vigilant.cli import run
from vigilant.cli.common import database, settings
from vigilant.errors import ExitCode
from vigilant.evidence.base import EvidenceError
from vigilant.evidence.sources import sources
from vigilant.security.rights import Actor
from vigilant.store import Database
from vigilant.triage.records import FileRecord
from vigilant.triage.results import iter_records
from vigilant.triage.service import TriageService

# The CLI's own actors (Actor.cli: an administrator for no agency, who sees every record).
LAB = Actor.cli("lab")
ME = Actor.cli("test")


def _members(seed: int) -> dict[str, bytes]:
    return {
        "notes/readme.txt": mk.text(seed, 4),
        "pictures/gradient.png": mk.picture(seed + 1, "PNG"),
        "pictures/photo.jpg": mk.picture(seed + 2, "JPEG"),
        "noise.bin": mk.random_bytes(seed + 3, 300_000),
        "empty.txt": b"",
        **{f"many/{i:03d}.txt": mk.text(seed + 10 + i, 2) for i in range(40)},  # threads read side by side
    }


def _service() -> TriageService:
    return TriageService(database(), settings().data_dir)


def _add(path: Path, label: str, *options: str) -> int:
    return run(["evidence", "add", str(path), "--label", label, *options])


def _triage(label: str) -> tuple[int, list[FileRecord]]:
    assert run(["triage", "run", label, "--processes", "0", "--threads", "2", "--no-pdq"]) == ExitCode.OK
    run_id = _service().runs(ME)[-1].id
    return run_id, list(iter_records(Path(_service().status(run_id, ME).results_dir)))


def _check_members(records: list[FileRecord], members: dict[str, bytes], kind: str) -> None:
    top = {r.members[0]: r for r in records if r.member == 0}
    assert set(top) == set(members)
    for name, data in members.items():
        record = top[name]
        assert record.status == "ok", record.error
        assert record.sha256 == hashlib.sha256(data).digest(), name
        assert record.size == len(data)
        assert record.path == ""
        assert record.name == name.rsplit("/", 1)[-1]
        assert record.address == f"{kind} > member {name}"


@pytest.mark.parametrize(
    ("name", "make", "kind"),
    [
        ("seized.zip", zip_bytes, "zip"),
        ("seized.tar", lambda m: tar_bytes(m, compression=""), "tar"),
        ("seized.tar.gz", lambda m: tar_bytes(m, compression="gz"), "tar+gzip"),
        ("seized.tar.xz", lambda m: tar_bytes(m, compression="xz"), "tar+xz"),
        ("named-as-an-image.dd", zip_bytes, "zip"),  # by content, never by name
    ],
)
def test_an_archive_is_added_as_a_container_and_its_members_are_the_files(
    db: Database, tmp_path: Path, name: str, make: object, kind: str
) -> None:
    members = _members(7)
    archive = tmp_path / name
    archive.write_bytes(make(members))  # type: ignore[operator]
    assert _add(archive, "seized") == ExitCode.OK
    item = _service().evidence.get("seized", ME)
    assert item.source_type == "archive"
    data = archive.read_bytes()
    assert item.hashes == {
        "md5": hashlib.md5(data).hexdigest(),
        "sha256": hashlib.sha256(data).hexdigest(),
        "bytes": str(len(data)),
    }
    run_id, records = _triage("seized")
    _check_members(records, members, kind)
    row = _service().status(run_id, ME)
    assert row.summary["files"] == len(members)
    # The count beside the run comes from the listing alone (ContainerWalk.sizes) and agrees with the walk.
    assert (row.files_total, row.bytes_total) == (len(members), sum(map(len, members.values())))
    assert row.verification is not None
    assert row.verification["ok"]
    assert row.verification["compared"] == ["bytes", "md5", "sha256"]
    assert row.coverage == {"volumes": 1, "parts": []}


def test_a_nested_archive_and_an_encrypted_member_in_a_zip_item(db: Database, tmp_path: Path) -> None:
    inner = {"deep/a.txt": mk.text(1, 3), "deep/b.bin": mk.random_bytes(2, 5000)}
    archive = tmp_path / "outer.zip"
    archive.write_bytes(zip_bytes({"top.txt": mk.text(3, 2), "inner.zip": zip_bytes(inner)}))
    assert _add(archive, "outer") == ExitCode.OK
    _, records = _triage("outer")
    nested = {tuple(r.members): r for r in records if r.member > 0}
    assert set(nested) == {("inner.zip", "deep/a.txt"), ("inner.zip", "deep/b.bin")}
    assert nested[("inner.zip", "deep/a.txt")].sha256 == hashlib.sha256(inner["deep/a.txt"]).digest()
    assert nested[("inner.zip", "deep/a.txt")].address == "zip > member inner.zip > member deep/a.txt"

    locked = tmp_path / "locked.zip"
    locked.write_bytes(encrypted_zip({"secret.txt": (b"synthetic secret\n", True)}, b"pw"))
    assert _add(locked, "locked") == ExitCode.OK
    _, records = _triage("locked")
    [record] = records
    assert record.status == "encrypted"
    assert record.sha256 is None


def test_a_single_gzip_file_is_a_container_of_one(db: Database, tmp_path: Path) -> None:
    content = mk.text(9, 50)
    path = tmp_path / "notes.txt.gz"
    path.write_bytes(gzip.compress(content))
    assert _add(path, "gz") == ExitCode.OK
    _, records = _triage("gz")
    [record] = records
    assert record.members == ["notes.txt"]
    assert record.sha256 == hashlib.sha256(content).digest()


def test_a_file_of_no_known_kind_is_refused_naming_it_and_what_was_looked_for(
    db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    junk = tmp_path / "mystery.bin"
    junk.write_bytes(random.Random(3).randbytes(3 * mk.MiB))
    assert _add(junk, "mystery") == ExitCode.BAD_INPUT
    said = " ".join(capsys.readouterr().err.split())
    assert str(junk) in said
    for looked_for in ("E01 signature", "archive (zip, tar", "partition table", "file system", "--type raw"):
        assert looked_for in said, looked_for
    assert _service().evidence.items(ME) == []
    with pytest.raises(EvidenceError, match="cannot tell what kind of evidence"):
        sources().detect(junk)
    # --type forces it: a wiped or damaged image must still be examinable.
    assert _add(junk, "mystery", "--type", "raw") == ExitCode.OK
    assert _service().evidence.get("mystery", ME).source_type == "raw"


def test_images_are_still_raw_by_their_partition_table_or_file_system(tmp_path: Path) -> None:
    ext4 = small_ext4(tmp_path, "plain", 1)
    disk, _ = mbr_disk(tmp_path, [ext4])
    assert sources().detect(ext4).name == "raw"  # a file system at offset 0
    assert sources().detect(disk).name == "raw"  # a partition table
    assert sources().detect(tmp_path).name == "directory"


def test_a_damaged_zip_item_is_an_unreadable_volume_not_an_empty_success(
    db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    whole = zip_bytes(_members(5))
    broken = tmp_path / "broken.zip"
    broken.write_bytes(whole[: len(whole) // 2])  # its central directory, at the end, is gone
    assert _add(broken, "broken") == ExitCode.OK  # still a zip by its first bytes
    assert run(["triage", "run", "broken", "--processes", "0"]) == ExitCode.INCOMPLETE
    assert "1 of 1 volumes unreadable" in capsys.readouterr().out


def test_an_item_added_before_as_raw_keeps_working(db: Database, tmp_path: Path) -> None:
    archive = tmp_path / "old.zip"
    archive.write_bytes(zip_bytes(_members(2)))
    old = TriageService(db, tmp_path / "data").evidence.add(archive, actor=LAB, source_type="raw")
    assert old.source_type == "raw"
    code = run(["triage", "run", str(old.id), "--processes", "0"])
    assert code == ExitCode.INCOMPLETE  # read as the raw image it was registered as: and now it says so
