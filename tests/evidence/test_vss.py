"""Volume Shadow Copies: each snapshot of an NTFS volume is walked as a volume of its own, and agrees with
The Sleuth Kit reading that snapshot.

The image is plaso's ``test_data/vsstest.qcow2`` (751,104 bytes, Apache 2.0: an NTFS volume in a QCOW2 disk,
with two snapshots taken by Windows), taken at test time from the stored copy of log2timeline/plaso beside
this checkout (``../.mirror/log2timeline+plaso``, or ``VIGILANT_TEST_PLASO_MIRROR``). It is NOT conformance
data: no package ships it and CI has no copy, so the tests skip, saying so, where the copy is absent (also
under CI=true). No Linux tool writes shadow copies, so no test image can be built here.

The oracle reads each snapshot without Vigilant: libvshadow's own store reads (pyvshadow on pyqcow, nothing
of vigilant.evidence) written out as a raw volume, then ``fls``/``icat`` on it; the current volume is
QEMU's raw copy of the disk (``qemu-img convert``), read by ``fls``/``icat`` too.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyqcow
import pytest
import pyvshadow

from tests.evidence import make_images as mk
from tests.evidence import tsk_oracle as tsk
from tests.evidence.cli_triage import triage_cli
from tests.evidence.test_tsk_agreement import Listing, vigilant_listing
from vigilant.errors import ConfigError, ExitCode
from vigilant.evidence import filesystems
from vigilant.evidence.address import LinkKind
from vigilant.evidence.base import EntryStatus
from vigilant.evidence.filesystems import FileSystemWalker
from vigilant.evidence.images import ImageReader
from vigilant.evidence.runs import Extent
from vigilant.evidence.virtual_disks import QCOW, VirtualDisk
from vigilant.evidence.vss import ShadowStore, content_source, filetime_utc, shadow_copies_from_env, snapshots
from vigilant.store import Database

_IMAGE = "test_data/vsstest.qcow2"
_IMAGE_SIZE = 751_104
# When Windows took the two snapshots, as libvshadow's vshadowinfo prints them (and docs/evidence.md).
_CREATED = {
    1: datetime(2013, 12, 3, 6, 35, 9, 736378, tzinfo=UTC),
    2: datetime(2013, 12, 3, 6, 37, 48, 919058, tzinfo=UTC),
}


def _mirror() -> Path | None:
    given = os.environ.get("VIGILANT_TEST_PLASO_MIRROR")
    base = Path(given) if given else Path(__file__).resolve().parents[3] / ".mirror" / "log2timeline+plaso"
    for git_dir in (base / "repo", base):
        if (git_dir / "HEAD").is_file():
            return git_dir
    return None


@pytest.fixture(scope="module")
def vss_image(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """plaso's vsstest.qcow2, extracted from the stored copy of its repository into a temporary folder."""
    git_dir = _mirror()
    if git_dir is None:
        pytest.skip(
            "plaso's test_data/vsstest.qcow2 comes from a stored copy of log2timeline/plaso, absent here"
            " (looked in ../.mirror/log2timeline+plaso; set VIGILANT_TEST_PLASO_MIRROR to its git dir)"
        )
    done = subprocess.run(
        ["git", "--git-dir", str(git_dir), "show", f"HEAD:{_IMAGE}"], capture_output=True, check=False
    )
    if done.returncode != 0:
        pytest.skip(f"{git_dir} does not hold {_IMAGE}: {done.stderr.decode().strip()}")
    path = tmp_path_factory.mktemp("vss") / "vsstest.qcow2"
    path.write_bytes(done.stdout)
    assert path.stat().st_size == _IMAGE_SIZE
    return path


@pytest.fixture(scope="module")
def listing(vss_image: Path) -> Listing:
    with snapshots(True):
        return vigilant_listing(VirtualDisk(vss_image, QCOW))


def _store_volumes(image: Path, work: Path) -> dict[int, Path]:
    """Each snapshot as libvshadow reads it, written out as a raw volume (sparse: zero MiBs skipped)."""

    class _Media:  # the QCOW2 disk's media as the file object pyvshadow reads
        def __init__(self, handle: Any) -> None:
            self.handle, self.position = handle, 0

        def read(self, size: int = -1) -> bytes:
            data: bytes = self.handle.read_buffer_at_offset(size, self.position)
            self.position += len(data)
            return data

        def seek(self, offset: int, whence: int = 0) -> None:
            base = (0, self.position, int(self.handle.get_media_size()))[whence]
            self.position = base + offset

        def tell(self) -> int:
            return self.position

        def get_size(self) -> int:
            return int(self.handle.get_media_size())

    disk = pyqcow.file()
    disk.open(str(image))
    volume = pyvshadow.volume()
    volume.open_file_object(_Media(disk))
    out, mib = {}, 1 << 20
    for index, store in enumerate(volume.stores):
        path = work / f"vss{index + 1}.raw"
        with path.open("wb") as fh:
            fh.truncate(store.volume_size)
            for offset in range(0, store.volume_size, mib):
                data = store.read_buffer_at_offset(mib, offset)
                if data.count(0) != len(data):
                    fh.seek(offset)
                    fh.write(data)
        out[index + 1] = path
    volume.close()
    disk.close()
    return out


def _agree(listing: Listing, volume: Path, layer: str) -> int:
    """Assert the listing's files under ``layer`` (the flat file-system text) are fls's on ``volume``, with
    icat's content; returns how many."""
    ours = {
        (e.address.path.lstrip("/"), e.address.inode, e.address.attribute): (i, e)
        for i, e in enumerate(listing.entries)
        if e.address.filesystem == layer
    }
    theirs = {(f.path, f.inode, f.attribute): f for f in tsk.fls(volume, 0, fs_type="ntfs")}
    assert set(ours) == set(theirs), layer
    for key, item in theirs.items():
        index, entry = ours[key]
        assert (entry.deleted, entry.size) == (item.deleted, item.size), key
        got = tsk.icat(volume, 0, item)
        if got.complete and not item.realloc:
            assert entry.status is EntryStatus.OK, key
            assert listing.digests[index] == got.sha256, key
    return len(ours)


def test_each_snapshot_is_a_volume_with_its_number_and_creation_time(vss_image: Path) -> None:
    with snapshots(True), VirtualDisk(vss_image, QCOW) as disk, FileSystemWalker(disk) as walker:
        links = [v.address for v in walker.volumes()]
        assert walker.problems == []
    assert links[0] is None  # the current volume: the whole disk, no partition table
    assert [(link.kind, link.number, link.time) for link in links[1:] if link is not None] == [
        (LinkKind.SNAPSHOT, number, created) for number, created in _CREATED.items()
    ]


def test_snapshots_agree_with_libvshadow_and_tsk(listing: Listing, vss_image: Path, tmp_path: Path) -> None:
    """Every snapshot's files, sizes, deleted marks and digests are fls/icat's on libvshadow's store read
    (and the current volume's, on QEMU's raw copy); a file is addressed under its snapshot."""
    mk.require("fls", "icat", "qemu-img")
    assert listing.problems == []
    current = tmp_path / "current.raw"
    mk.run("qemu-img", "convert", "-f", "qcow2", "-O", "raw", vss_image, current)
    assert _agree(listing, current, "ntfs") > 0
    for number, volume in _store_volumes(vss_image, tmp_path).items():
        layer = f"snapshot {number} ({_CREATED[number]:%Y-%m-%d %H:%M:%S} UTC) > ntfs"
        assert _agree(listing, volume, layer) > 0, layer
    texts = {str(e.address) for e in listing.entries}
    # syslog was compressed to syslog.gz after the first snapshot: only that snapshot still holds it.
    assert "snapshot 1 (2013-12-03 06:35:09 UTC) > ntfs > /syslog (inode 35)" in texts
    assert "ntfs > /syslog.gz (inode 35)" in texts
    assert not any(t.endswith("> ntfs > /syslog (inode 35)") and "snapshot 2" in t for t in texts)


def test_snapshots_can_be_left_out(vss_image: Path) -> None:
    with snapshots(False):
        plain = vigilant_listing(VirtualDisk(vss_image, QCOW))
    assert {e.address.filesystem for e in plain.entries} == {"ntfs"}
    assert shadow_copies_from_env({}) is True
    assert shadow_copies_from_env({"VIGILANT_SHADOW_COPIES": "off"}) is False
    assert shadow_copies_from_env({"VIGILANT_SHADOW_COPIES": " On "}) is True
    with pytest.raises(ConfigError, match="VIGILANT_SHADOW_COPIES"):
        shadow_copies_from_env({"VIGILANT_SHADOW_COPIES": "sometimes"})


def test_filetime_to_utc() -> None:
    assert filetime_utc(130305261097363787) == _CREATED[1]  # store 1's FILETIME, as libvshadow gives it
    assert filetime_utc(116444736000000000) == datetime(1970, 1, 1, tzinfo=UTC)


def test_triage_run_lists_the_snapshots_files(
    db: Database, vss_image: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A triage run of the disk hashes each snapshot's files beside the current volume's, addressed under
    their snapshot, as the walk read them."""
    with snapshots(True):
        done = triage_cli(vss_image, "vss", capsys, tmp_path)
        expected = vigilant_listing(VirtualDisk(vss_image, QCOW))
    assert done.code == ExitCode.OK
    assert done.item["type"] == "qcow"
    files = {a: d for a, d in done.sha256.items() if " > member " not in a}
    assert files == {str(e.address): expected.digests[i] for i, e in enumerate(expected.entries)}
    assert sum(a.startswith("snapshot 2 ") for a in files) >= 5
    # syslog.gz's member is the syslog that only snapshot 1 still holds, in both volumes that hold the .gz
    syslog = files["snapshot 1 (2013-12-03 06:35:09 UTC) > ntfs > /syslog (inode 35)"]
    members = {a: d for a, d in done.sha256.items() if a.endswith("/syslog.gz (inode 35) > member syslog.1")}
    assert set(members.values()) == {syslog}
    assert sorted(members) == [
        "ntfs > /syslog.gz (inode 35) > member syslog.1",
        "snapshot 2 (2013-12-03 06:37:48 UTC) > ntfs > /syslog.gz (inode 35) > member syslog.1",
    ]


def test_unchanged_snapshot_files_are_read_from_the_volume(
    vss_image: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A snapshot's file whose blocks no store holds is read straight from the current volume, not
    through libvshadow (only a 512-byte probe per 16 KiB block is), and its digests are those of the
    read through libvshadow: counted in bytes libvshadow read, with and without the shortcut."""
    through_store = [0]
    store_read = ShadowStore._read

    def counted(store: ShadowStore, offset: int, size: int) -> bytes:
        through_store[0] += size
        return store_read(store, offset, size)

    served: list[int] = []  # bytes of each file read from the volume instead

    def recorded(reader: ImageReader, extents: Sequence[Extent]) -> tuple[ImageReader, list[Extent]]:
        source, moved = content_source(reader, extents)
        if source is not reader:
            served.append(sum(e.length for e in extents if e.image_offset is not None))
        return source, moved

    monkeypatch.setattr(ShadowStore, "_read", counted)
    monkeypatch.setattr(filesystems, "content_source", recorded)
    with snapshots(True):
        fast = vigilant_listing(VirtualDisk(vss_image, QCOW))
        fast_bytes, through_store[0] = through_store[0], 0
        monkeypatch.setattr(ShadowStore, "same_as_volume", lambda store, extents: False)
        slow = vigilant_listing(VirtualDisk(vss_image, QCOW))
        slow_bytes = through_store[0]

    def digests(listing: Listing) -> dict[str, str]:
        return {str(e.address): listing.digests[i] for i, e in enumerate(listing.entries)}

    assert digests(fast) == digests(slow)
    assert len(served) >= 10  # 7 files of each snapshot in this image (another_file, syslog.gz, $Boot, …)
    saved = slow_bytes - fast_bytes
    assert saved >= sum(served) * 31 // 32 - 512 * len(served), (saved, sum(served))
    assert saved > 0
