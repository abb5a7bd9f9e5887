"""LUKS volumes made by Debian's cryptsetup around a file system image, with no device mapper.

``cryptsetup reencrypt --encrypt`` encrypts a file offline (it needs no mapping, unlike ``luksOpen``): the
plain image, with room added at its end, becomes a LUKS2 volume whose data is that image encrypted. libluksde
reads LUKS1 only, so ``cryptsetup convert --type luks1`` then rewrites the header as LUKS1 (the data stays as
it is). Every byte of the volume is written by cryptsetup; the tests read it back through libluksde.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.evidence import make_images as mk

PASSPHRASE = "correct horse battery staple 7f3a"  # the tests look for it where it must never be
_HEADER_ROOM = 32 * mk.MiB  # reencrypt moves the data to make room for the header: this much is given up
# A cheap key derivation and a 256-bit key (AES-128 in XTS): a test volume, not a real one's strength.
_FAST = ("--pbkdf", "pbkdf2", "--pbkdf-force-iterations", "1000", "--key-size", "256")


def make_luks(plain: Path, target: Path, key_file: Path, *, version: int = 1) -> Path:
    """``plain`` (a file system image) encrypted in a LUKS volume at ``target``, opened by ``key_file``'s
    text as passphrase; its decrypted bytes start with ``plain``'s."""
    mk.require("cryptsetup")
    shutil.copyfile(plain, target)
    with target.open("r+b") as fh:
        fh.truncate(plain.stat().st_size + _HEADER_ROOM)
    mk.run(
        "cryptsetup", "reencrypt", "--encrypt", "--batch-mode", "--type", "luks2", *_FAST,
        "--reduce-device-size", f"{_HEADER_ROOM // mk.MiB}M", "--key-file", key_file, target,
    )  # fmt: skip
    if version == 1:
        mk.run("cryptsetup", "convert", "--batch-mode", "--type", "luks1", target)
    return target
