"""What The Sleuth Kit's own command-line tools say about an image: the oracle for the walker.

``fls -r -p -l -o OFFSET image`` lists every name with its inode, deleted mark, times and size;
``icat -o OFFSET image INODE[-TYPE-ID]`` gives a stream's content. Vigilant's listing must agree with them
on every regular file and data stream, allocated and deleted. (fls prints an NTFS folder's named data
streams on the folder's "." entry, "docs/.:hidden": they are the folder's. It does not print HFS+ resource
forks: ``istat`` lists them.)
"""

from __future__ import annotations

import hashlib
import re
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from tests.evidence.make_images import SECTOR

# "r/r * 14(realloc):\tpath\tmtime\tatime\tctime\tcrtime\tsize\tuid\tgid"
_FLS_LINE = re.compile(
    r"^(?P<name_type>.)/(?P<meta_type>.) (?P<deleted>\* )?(?P<inode>\d+(?:-\d+-\d+)?)"
    r"(?P<realloc>\(realloc\))?:\t(?P<rest>.*)$"
)
_NTFS_DATA = 128


@dataclass(frozen=True)
class TskFile:
    path: str  # relative, as fls -p prints it, without the ":stream" suffix
    inode: int
    attribute: str | None  # NTFS stream name; None for the default stream
    inode_spec: str  # what icat takes: "14" or "64-128-4"
    deleted: bool
    realloc: bool
    size: int
    times: tuple[datetime | None, ...]  # modified, accessed, changed, created


def _time(text: str) -> datetime | None:
    if text.startswith("0000-00-00"):
        return None
    return datetime.strptime(text.removesuffix(" (UTC)"), "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)


def fls(image: Path, offset: int, *, fs_type: str) -> list[TskFile]:
    """Regular files and data streams as fls lists them.

    Left out, each for the reason Vigilant leaves it out: NTFS index streams ($I30, $SDH, …: structure,
    not content) and $BadClus:$Bad (a sparse stream the size of the volume, no content); the FAT volume
    label (TSK prints it as an empty file); deleted entries of size 0 (no content to examine).
    """
    out = subprocess.run(
        ["fls", "-r", "-p", "-l", "-o", str(offset // SECTOR), str(image)],
        capture_output=True,
        check=True,
    ).stdout.decode()
    found = []
    for line in out.splitlines():
        match = _FLS_LINE.match(line)
        assert match is not None, f"unexpected fls line {line!r}"
        fields = match["rest"].split("\t")
        path, times, size = fields[0], fields[1:5], int(fields[5])
        inode_spec = match["inode"]
        inode, _, kind = inode_spec.partition("-")
        attr_type = int(kind.split("-")[0]) if kind else None
        attribute = None
        last = path.rsplit("/", 1)[-1]
        if fs_type == "ntfs":
            if attr_type != _NTFS_DATA:
                continue
            if ":" in last:  # fls appends ":stream" to named streams
                path, attribute = path.rsplit(":", 1)
                if path == "." or path.endswith("/."):  # a folder's streams are printed on its "."
                    path = path[:-2] if path.endswith("/.") else ""
            if attribute == "$Bad" and path == "$BadClus":
                continue
        if match["meta_type"] != "r" and attribute is None:
            continue  # directories (their named streams stay), virtual files, links
        if fs_type.startswith("fat") and path.endswith("(Volume Label Entry)"):
            continue
        deleted = match["deleted"] is not None
        if deleted and size == 0:
            continue
        found.append(
            TskFile(
                path=path,
                inode=int(inode),
                attribute=attribute,
                inode_spec=inode_spec,
                deleted=deleted,
                realloc=match["realloc"] is not None,
                size=size,
                times=tuple(_time(t) for t in times),
            )
        )
    if fs_type == "hfs":
        found += [fork for item in found if (fork := _resource_fork(image, offset, item)) is not None]
    return found


# "Type: RSRC (4353-1)   Name: RSRC   Non-Resident   size: 17  init_size: 17", as istat prints an HFS+ fork
_RSRC_LINE = re.compile(r"^Type: RSRC \((?P<spec>4353-\d+)\).*\ssize: (?P<size>\d+)", re.MULTILINE)


def _resource_fork(image: Path, offset: int, item: TskFile) -> TskFile | None:
    """An HFS+ file's resource fork as ``istat`` lists it (fls does not), as the stream ``rsrc``; not a
    file compressed by the file system (its ``com.apple.decmpfs`` attribute): its fork is its data."""
    if item.deleted:
        return None
    out = subprocess.run(
        ["istat", "-o", str(offset // SECTOR), str(image), str(item.inode)], capture_output=True, check=True
    ).stdout.decode()
    match = _RSRC_LINE.search(out)
    if match is None or int(match["size"]) == 0 or "Name: com.apple.decmpfs" in out:
        return None
    spec = f"{item.inode}-{match['spec']}"
    return TskFile(item.path, item.inode, "rsrc", spec, False, False, int(match["size"]), item.times)


@dataclass(frozen=True)
class Icat:
    complete: bool  # icat succeeded and gave as many bytes as the size
    sha256: str
    length: int


def icat(image: Path, offset: int, item: TskFile) -> Icat:
    done = subprocess.run(
        ["icat", "-o", str(offset // SECTOR), str(image), item.inode_spec], capture_output=True, check=False
    )
    data = done.stdout
    return Icat(done.returncode == 0 and len(data) == item.size, hashlib.sha256(data).hexdigest(), len(data))


@dataclass(frozen=True)
class MmlsRow:
    """One allocated partition as mmls prints it."""

    entry: int  # TSK's number for it: mmls' first column (tables and gaps are numbered too)
    slot: str  # mmls' "Slot" column: "table:slot" (DOS: table 0 the MBR, 1… each extended table), or "slot"
    offset: int  # bytes
    description: str

    @property
    def index(self) -> int:
        """The partition's number as examiners and fdisk give it: the 1-based entry in the partition table
        (GPT and DOS primaries); a DOS logical partition is 5, 6, … in the order of its extended table."""
        table, _, slot = self.slot.rpartition(":")
        if table and int(table) > 0:
            return 4 + int(table)
        return int(slot) + 1


def mmls_rows(image: Path) -> list[MmlsRow]:
    done = subprocess.run(["mmls", str(image)], capture_output=True, check=False)
    if done.returncode != 0:
        return []
    found = []
    for line in done.stdout.decode().splitlines():
        match = re.match(r"^(\d+):\s+(\d+:\d+|\d+)\s+(\d+)\s+\d+\s+\d+\s*(.*)$", line)
        if match:  # allocated slots only: "Meta" and "-------" rows do not match
            found.append(MmlsRow(int(match[1]), match[2], int(match[3]) * SECTOR, match[4].strip()))
    return found


def mmls(image: Path) -> list[tuple[int, int]]:
    """(partition number as examiners give it, byte offset) of each allocated partition (see MmlsRow)."""
    return [(row.index, row.offset) for row in mmls_rows(image)]
