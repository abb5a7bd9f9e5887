"""An unlocked volume's encrypted bytes reach libluksde through a read-ahead window, not one image read per
512-byte sector; what it decrypts is what libluksde decrypts from the volume opened by path.

The volume is made at test time by Debian's cryptsetup around the session's ext4 image (see make_luks).
"""

from __future__ import annotations

import random
import threading
from pathlib import Path

import pyluksde
import pytest

from tests.evidence import make_images as mk
from tests.evidence.make_luks import PASSPHRASE, make_luks
from vigilant.evidence.images import ImageReader, RawImage
from vigilant.evidence.keys import KeyKind, KeyRing, VolumeKey
from vigilant.evidence.libyal_filesystems import VolumeFile
from vigilant.evidence.unlock import READ_AHEAD, ReadAheadFile, unlock


class CountingImage(ImageReader):
    """A raw image that counts the reads made of it."""

    def __init__(self, path: Path) -> None:
        self._raw = RawImage(path)
        self.reads = 0
        super().__init__(self._raw.description, self._raw.size)

    def _read(self, offset: int, size: int) -> bytes:
        self.reads += 1
        return self._raw.read(offset, size)

    def _close(self) -> None:
        self._raw.close()


@pytest.fixture
def luks1(ext4_image: mk.Built, tmp_path: Path) -> Path:
    key = tmp_path / "luks.key"
    key.write_text(PASSPHRASE)
    return make_luks(ext4_image.path, tmp_path / "luks1.img", key)


def test_the_library_s_sector_reads_are_served_from_a_window(luks1: Path) -> None:
    image = CountingImage(luks1)
    ring = KeyRing([VolumeKey(KeyKind.PASSPHRASE, PASSPHRASE)])
    opened = unlock(image, 0, "LUKS1", where="whole image", lock=threading.RLock(), ring=ring)
    assert opened.reader is not None, opened.reason
    by_path = pyluksde.volume()
    by_path.open(str(luks1))
    by_path.set_password(PASSPHRASE)
    assert by_path.unlock()
    try:
        span = 8 << 20
        before = image.reads
        ours = opened.reader.read(0, span)
        # 16,384 sectors: one image read each without the window, about span / READ_AHEAD with it
        assert image.reads - before <= 2 * span // READ_AHEAD + 2, image.reads - before
        assert ours == by_path.read_buffer_at_offset(span, 0)
        rng = random.Random(5)
        for _ in range(50):  # scattered reads, as files read along their runs make them
            offset, size = rng.randrange(opened.reader.size - 70_000), rng.randrange(1, 70_000)
            assert opened.reader.read(offset, size) == by_path.read_buffer_at_offset(size, offset), offset
    finally:
        by_path.close()
        opened.reader.close()
        image.close()


def test_a_read_ahead_file_reads_as_the_volume_file_does(tmp_path: Path) -> None:
    path = tmp_path / "bytes.bin"
    path.write_bytes(mk.random_bytes(77, 300_000))
    with RawImage(path) as image:
        plain, ahead = VolumeFile(image, 1000), ReadAheadFile(image, 1000, span=4096)
        rng = random.Random(9)
        for _ in range(300):
            where, size = rng.randrange(-10, 300_000), rng.choice([0, 1, 512, 4095, 4096, 10_000, -1])
            assert ahead.seek(where) == plain.seek(where)
            assert ahead.read(size) == plain.read(size), (where, size)
            assert ahead.tell() == plain.tell()
        assert ahead.get_size() == plain.get_size() == 299_000
