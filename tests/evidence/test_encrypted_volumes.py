"""Encrypted volumes (LUKS, BitLocker) are named as such: a clear problem of the run, never "0 files".

LUKS volumes are made by Debian's ``cryptsetup luksFormat`` on a plain file (no device mapper needed), in an
MBR partition beside a readable ext4 and as a whole image. No Linux tool creates BitLocker volumes: its
boot sector's signature (``-FVE-FS-`` at byte 3) is written by the test. Unlocking: test_unlock_luks.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.evidence import make_images as mk
from tests.evidence.cli_triage import triage_cli
from tests.evidence.test_tsk_agreement import vigilant_listing
from vigilant.errors import ExitCode
from vigilant.evidence.encrypted_volumes import encryption_kind
from vigilant.evidence.images import RawImage
from vigilant.evidence.sources import sources
from vigilant.store import Database


def make_luks(work: Path, name: str, version: int = 2) -> Path:
    """A 20 MiB LUKS volume (``cryptsetup luksFormat`` on a file), its passphrase from ``work/key.txt``."""
    mk.require("cryptsetup")
    image = work / f"{name}.img"
    with image.open("wb") as fh:
        fh.truncate(20 * mk.MiB)  # LUKS2's header alone takes 16 MiB
    # A cheap key derivation: the test's volume, not a real one's strength.
    kdf = ["--pbkdf", "pbkdf2"] if version == 2 else []
    command = ["cryptsetup", "luksFormat", "--batch-mode", "--type", f"luks{version}", *kdf]
    mk.run(*command, "--pbkdf-force-iterations", "1000", "--key-file", work / "key.txt", image)
    return image


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    key = tmp_path / "key.txt"
    key.write_text("correct horse battery staple")
    return key


@pytest.mark.parametrize("version", [1, 2])
def test_a_luks_partition_is_reported_as_encrypted(
    version: int, key_file: Path, ext4_image: mk.Built, tmp_path: Path
) -> None:
    luks = make_luks(tmp_path, "secret", version)
    assert encryption_kind(luks.read_bytes()[:512]) == f"LUKS{version}"
    disk = mk.make_disk(tmp_path, "dos", ext4_image, mk.Built(luks, "luks"))
    offsets = [offset for offset, _ in disk.partitions]
    listing = vigilant_listing(RawImage(disk.path))
    assert {e.address.partition for e in listing.entries} == {1}  # the ext4 beside it is read
    [problem] = [p for p in listing.problems if str(offsets[1]) in p.where]
    why = "no key given" if version == 1 else "LUKS2 is not supported by libluksde"  # no key would do
    assert problem.reason.startswith(f"LUKS{version}-encrypted volume: not unlocked: {why}")


def test_a_luks_image_is_added_and_its_run_says_the_volume_is_encrypted(
    db: Database, key_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    luks = make_luks(tmp_path, "laptop")
    assert sources().detect(luks).name == "raw"  # not refused as "no known kind"
    done = triage_cli(luks, "encrypted-laptop", capsys, tmp_path)
    assert done.code == ExitCode.INCOMPLETE
    assert done.status["status"].endswith("1 of 1 volumes unreadable")
    [part] = done.status["coverage"]["parts"]
    assert part["volume"]
    assert part["reason"].startswith("LUKS2-encrypted volume")
    assert done.sha256 == {}


def test_a_bitlocker_signature_is_named(tmp_path: Path) -> None:
    image = tmp_path / "bitlocker.img"
    sector = bytearray(512)
    sector[:11] = b"\xebR\x90-FVE-FS-"  # jump, then the OEM name BitLocker writes
    sector[510:] = b"\x55\xaa"
    image.write_bytes(bytes(sector) + bytes(4 * mk.MiB))
    assert sources().detect(image).name == "raw"
    listing = vigilant_listing(RawImage(image))
    [problem] = listing.problems
    assert problem.reason.startswith("BitLocker-encrypted volume: not unlocked: no key given")
