"""A volume with no file system The Sleuth Kit can read is never an empty success (issue 11, A1).

Such a volume yields no file at all: before, a run over an ext4 image with its superblock overwritten said
"0 files … 0 unreadable", exit 0, and every report was silent. Now the run keeps its coverage and every face
says "N of M volumes unreadable": the run's status, the CLI (exit code 8), each report format, the custody
log. (The web page and the API: tests/web/test_triage_unread.py.)

Images are made by the real tools: ``mke2fs -d`` file systems, an ``sfdisk`` MBR table, the primary
superblock overwritten with zeros as a damaged or wiped disk would have it.
"""

from __future__ import annotations

import json
import random
import subprocess
from pathlib import Path

import pytest

from tests.evidence import make_images as mk
from vigilant.cli import run
from vigilant.errors import ExitCode
from vigilant.security.rights import Actor
from vigilant.store import Database
from vigilant.triage.reports import reports
from vigilant.triage.service import TriageService

# The CLI's own actors (Actor.cli: an administrator for no agency, who sees every record).
ME = Actor.cli("test")

SUPERBLOCK = 1024  # ext2/3/4: the primary superblock is the 1 KiB at byte 1024


def small_ext4(work: Path, name: str, seed: int) -> Path:
    """A 4 MiB ext4 with three small files (``mke2fs -d``)."""
    mk.require("mke2fs")
    src = work / f"{name}-src"
    mk.write_tree(
        src,
        {
            "notes.txt": mk.text(seed, 5),
            "pictures/p.png": mk.picture(seed + 1, "PNG"),
            "noise.bin": mk.random_bytes(seed + 2, 30_000),
        },
    )
    image = work / f"{name}.img"
    mk.run("mke2fs", "-q", "-t", "ext4", "-d", src, "-F", image, "4M")
    return image


def wipe_superblock(image: Path, offset: int = 0) -> None:
    with image.open("r+b") as fh:
        fh.seek(offset + SUPERBLOCK)
        fh.write(bytes(SUPERBLOCK))


def mbr_disk(work: Path, filesystems: list[Path], name: str = "disk") -> tuple[Path, list[int]]:
    """An MBR disk (``sfdisk``) with one primary partition per file system, each written in; returns the
    disk and the partitions' byte offsets."""
    mk.require("sfdisk")
    sizes = [fs.stat().st_size // mk.SECTOR for fs in filesystems]
    starts = [2048]
    for size in sizes[:-1]:
        starts.append(starts[-1] + size)
    disk = work / f"{name}.img"
    with disk.open("wb") as fh:
        fh.truncate((starts[-1] + sizes[-1] + 2048) * mk.SECTOR)
    table = "label: dos\n" + "".join(
        f"start={a}, size={b}, type=83\n" for a, b in zip(starts, sizes, strict=True)
    )
    subprocess.run(["sfdisk", "-q", str(disk)], input=table.encode(), check=True, capture_output=True)
    with disk.open("r+b") as out:
        for start, fs in zip(starts, filesystems, strict=True):
            out.seek(start * mk.SECTOR)
            out.write(fs.read_bytes())
    return disk, [s * mk.SECTOR for s in starts]


def _triage_cli(image: Path, label: str) -> tuple[int, int]:
    """`evidence add --type raw`, then `triage run`: (run id, exit code of the run)."""
    assert run(["evidence", "add", str(image), "--label", label, "--type", "raw"]) == ExitCode.OK
    code = run(["triage", "run", label, "--processes", "0", "--threads", "1"])
    return _last_run_id(), code


def _last_run_id() -> int:
    from vigilant.cli.common import database, settings  # noqa: PLC0415 - the CLI's own store

    return TriageService(database(), settings().data_dir).runs(ME)[-1].id


def _every_report(run_id: int, tmp_path: Path) -> dict[str, str]:
    texts = {}
    for fmt in reports().names():
        target = tmp_path / f"report-{run_id}.{fmt}"
        assert run(["triage", "report", str(run_id), "--format", fmt, "-o", str(target)]) == ExitCode.OK
        texts[fmt] = target.read_text(encoding="utf-8-sig")
    return texts


def _assert_reports_say(texts: dict[str, str], headline: str, where: str) -> None:
    for fmt, text in texts.items():
        assert headline in text, f"the {fmt} report does not say {headline!r}"
        assert where in text, f"the {fmt} report does not say where: {where!r}"
    assert f"## NOT READ: {headline}" in texts["hashdeep"]
    assert f"<!-- NOT READ: {headline}" in texts["dfxml"]
    assert json.loads(texts["vics"])["@Vigilant.NotRead"]["Summary"] == headline
    assert "volume-unreadable" in texts["csv"]
    assert "Evidence not read: " + headline in texts["html"]


def test_an_ext4_with_its_superblock_overwritten_is_one_of_one_volumes_unreadable(
    db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    image = small_ext4(tmp_path, "wiped", 10)
    wipe_superblock(image)
    run_id, code = _triage_cli(image, "wiped")
    out = capsys.readouterr().out
    assert code == ExitCode.INCOMPLETE, out
    assert "1 of 1 volumes unreadable" in out
    assert "no file system The Sleuth Kit can read" in out
    service = TriageService(db, tmp_path / "vigilant-data")
    row = service.status(run_id, ME)
    assert row.status == "finished"
    assert row.summary["files"] == 0
    assert row.coverage is not None
    assert row.coverage["volumes"] == 1
    [part] = row.coverage["parts"]
    assert (part["where"], part["volume"]) == ("file system at offset 0", True)
    assert part["reason"].startswith("no file system The Sleuth Kit can read")
    # `triage status` says it too, for the run and in the list, with the same exit code for the run.
    assert run(["triage", "status", str(run_id)]) == ExitCode.INCOMPLETE
    assert "1 of 1 volumes unreadable" in capsys.readouterr().out
    assert run(["triage", "status"]) == ExitCode.OK
    assert "unreadable" in capsys.readouterr().out  # the table wraps its cells to the terminal's width
    _assert_reports_say(
        _every_report(run_id, tmp_path), "1 of 1 volumes unreadable", "file system at offset 0"
    )
    # The custody log keeps it with the run's end.
    finished = [e for e in service.evidence.custody(row.evidence_id, ME) if e.action == "triage-finished"]
    assert finished[-1].detail["not_read"][0] == "1 of 1 volumes unreadable"


def test_an_mbr_disk_with_one_good_and_one_wiped_partition_is_one_of_two_volumes_unreadable(
    db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = small_ext4(tmp_path, "good", 20)
    bad = small_ext4(tmp_path, "bad", 30)
    wipe_superblock(bad)
    disk, offsets = mbr_disk(tmp_path, [good, bad])
    run_id, code = _triage_cli(disk, "disk")
    out = capsys.readouterr().out
    assert code == ExitCode.INCOMPLETE, out
    assert "1 of 2 volumes unreadable" in out
    row = TriageService(db, tmp_path / "vigilant-data").status(run_id, ME)
    assert row.summary["files"] == 3  # the good partition's files are all there
    assert row.coverage is not None
    assert row.coverage["volumes"] == 2
    [part] = row.coverage["parts"]
    assert part["volume"] is True
    assert f"@ {offsets[1]}" in part["where"]
    _assert_reports_say(_every_report(run_id, tmp_path), "1 of 2 volumes unreadable", f"@ {offsets[1]}")


def test_a_raw_image_with_neither_partition_table_nor_file_system_is_unreadable(
    db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    image = tmp_path / "noise.dd"
    image.write_bytes(random.Random(7).randbytes(2 * mk.MiB))
    run_id, code = _triage_cli(image, "noise")
    assert code == ExitCode.INCOMPLETE
    assert "1 of 1 volumes unreadable" in capsys.readouterr().out
    _assert_reports_say(
        _every_report(run_id, tmp_path), "1 of 1 volumes unreadable", "file system at offset 0"
    )


def test_a_readable_image_says_nothing_of_the_kind(
    db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    image = small_ext4(tmp_path, "fine", 40)
    run_id, code = _triage_cli(image, "fine")
    assert code == ExitCode.OK
    assert "not read" not in capsys.readouterr().out
    row = TriageService(db, tmp_path / "vigilant-data").status(run_id, ME)
    assert row.coverage == {"volumes": 1, "parts": []}
    for fmt, text in _every_report(run_id, tmp_path).items():
        assert "NOT READ" not in text, fmt
        assert "volumes unreadable" not in text, fmt
