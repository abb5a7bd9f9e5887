"""Partitions are numbered as the partition table and examiners number them (issue 11, A9).

The Sleuth Kit numbers every row of its volume listing, the table itself and the gaps included: on an MBR
disk the first partition is TSK's entry 2 and the second 3, where fdisk, mmls' "Slot" column and every
examiner say 1 and 2 (and 5, 6, … for logical partitions in the extended table). Addresses, records and
problems give the table's number; TSK's stays beside it as a detail. Checked against mmls on a disk made
by sfdisk with two primary partitions and two logical ones.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests.evidence import make_images as mk
from tests.evidence.tsk_oracle import mmls_rows
from vigilant.evidence.filesystems import FileSystemWalker
from vigilant.evidence.images import RawImage
from vigilant.security.rights import Actor
from vigilant.store import Database
from vigilant.triage.results import iter_records
from vigilant.triage.runner import Progress
from vigilant.triage.service import TriageService
from vigilant.triage.settings import TriageSettings

# The CLI's own actors (Actor.cli: an administrator for no agency, who sees every record).
EXAMINER = Actor.cli("examiner")
ME = Actor.cli("test")

PART_SECTORS = 4 * mk.MiB // mk.SECTOR


def _ext4(work: Path, name: str) -> bytes:
    src = work / f"{name}-src"
    mk.write_tree(src, {f"{name}.txt": mk.text(len(name), 3)})
    image = work / f"{name}.img"
    mk.run("mke2fs", "-q", "-t", "ext4", "-d", src, "-F", image, "4M")
    return image.read_bytes()


@pytest.fixture(scope="module")
def disk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """MBR: primaries 1 and 2, an extended partition (3) holding logical partitions 5 and 6; an ext4 each
    (named after its number: /p1.txt, /p2.txt, /p5.txt, /p6.txt)."""
    mk.require("mke2fs", "sfdisk", "mmls")
    work = tmp_path_factory.mktemp("partition-numbers")
    starts = {
        "p1": 2048,
        "p2": 2048 + PART_SECTORS,
        "p5": 4096 + 3 * PART_SECTORS,
        "p6": 6144 + 4 * PART_SECTORS,
    }
    extended = 2048 + 2 * PART_SECTORS
    table = (
        "label: dos\n"
        f"start={starts['p1']}, size={PART_SECTORS}, type=83\n"
        f"start={starts['p2']}, size={PART_SECTORS}, type=83\n"
        f"start={extended}, size={starts['p6'] + PART_SECTORS - extended}, type=5\n"
        f"start={starts['p5']}, size={PART_SECTORS}, type=83\n"
        f"start={starts['p6']}, size={PART_SECTORS}, type=83\n"
    )
    path = work / "numbered.img"
    with path.open("wb") as fh:
        fh.truncate((starts["p6"] + PART_SECTORS + 2048) * mk.SECTOR)
    subprocess.run(["sfdisk", "-q", str(path)], input=table.encode(), check=True, capture_output=True)
    with path.open("r+b") as out:
        for name, start in starts.items():
            out.seek(start * mk.SECTOR)
            out.write(_ext4(work, name))
    return path


def test_the_oracle_reads_mmls_slots_as_fdisk_numbers_them(disk: Path) -> None:
    rows = mmls_rows(disk)
    assert [r.slot for r in rows] == ["000:000", "000:001", "001:000", "002:000"]
    assert [r.index for r in rows] == [1, 2, 5, 6]
    assert [r.entry for r in rows] == [2, 3, 7, 11]  # TSK's own numbers: what Vigilant used to show
    # sfdisk -d names each partition by fdisk's number: "…/numbered.img5 : start=       12288, …"
    dumped = re.findall(r"^\S*?(\d+) : start=\s*(\d+)", mk.run("sfdisk", "-d", disk), re.MULTILINE)
    fdisk = {int(start) * mk.SECTOR: int(number) for number, start in dumped}
    assert {r.offset: r.index for r in rows} == {o: n for o, n in fdisk.items() if n != 3}  # 3: extended


def test_volumes_and_addresses_give_the_table_number_with_tsk_s_as_a_detail(disk: Path) -> None:
    rows = mmls_rows(disk)
    with RawImage(disk) as reader, FileSystemWalker(reader) as walker:
        volumes = walker.volumes()
        entries = list(walker)
    assert [(v.partition, v.tsk_slot, v.offset) for v in volumes] == [
        (r.index, r.entry, r.offset) for r in rows
    ]
    by_name = {e.name: e for e in entries}
    for row in rows:
        entry = by_name[f"p{row.index}.txt"]  # each file system holds the file named after its number
        assert entry.address.partition == row.index
        assert entry.address.partition_offset == row.offset
        assert entry.address.tsk_slot == row.entry
        assert str(entry.address).startswith(
            f"partition {row.index} @ {row.offset} (TSK slot {row.entry}) > ext4"
        )
    assert str(volumes[0]).startswith("partition 1 @ ")
    assert f"TSK slot {rows[0].entry}" in str(volumes[0])


def test_a_triage_run_records_the_table_number(db: Database, disk: Path, tmp_path: Path) -> None:
    service = TriageService(db, tmp_path / "data")
    item = service.evidence.add(disk, actor=EXAMINER, source_type="raw")
    run_id = service.start(item.id, TriageSettings(processes=0, threads=1, pdq=False), EXAMINER, Progress())
    records = {r.name: r for r in iter_records(Path(service.status(run_id, ME).results_dir))}
    for row in mmls_rows(disk):
        record = records[f"p{row.index}.txt"]
        assert record.partition == row.index
        assert record.address.startswith(f"partition {row.index} @ {row.offset} (TSK slot {row.entry})")
