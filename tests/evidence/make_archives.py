"""Archives for the tests, made with Python's own zipfile/tarfile/gzip, plus one thing they cannot make.

Python's zipfile reads password-protected members but does not write them; :func:`encrypted_zip` writes
one with the traditional PKWARE cipher ("ZipCrypto", APPNOTE 6.2), and the tests check that zipfile
decrypts it with the password: a genuine encrypted zip, without needing the ``zip`` program.
"""

from __future__ import annotations

import io
import random
import struct
import tarfile
import zipfile
import zlib
from typing import Literal


def zip_bytes(members: dict[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def tar_bytes(members: dict[str, bytes], *, compression: str = "gz") -> bytes:
    """A tar; ``compression`` "gz", "bz2", "xz" or "" (none)."""
    modes: dict[str, Literal["w", "w:gz", "w:bz2", "w:xz"]] = {
        "": "w",
        "gz": "w:gz",
        "bz2": "w:bz2",
        "xz": "w:xz",
    }
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode=modes[compression]) as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 1_700_000_000
            archive.addfile(info, io.BytesIO(data))
    return out.getvalue()


# --- ZipCrypto ------------------------------------------------------------------------------------------
def _crc_byte(crc: int, byte: int) -> int:
    # One step of the CRC-32 register, without zlib's pre- and post-inversion.
    return zlib.crc32(bytes([byte]), crc ^ 0xFFFFFFFF) ^ 0xFFFFFFFF


class _Keys:
    def __init__(self, password: bytes) -> None:
        self.k0, self.k1, self.k2 = 0x12345678, 0x23456789, 0x34567890
        for byte in password:
            self.update(byte)

    def update(self, byte: int) -> None:
        self.k0 = _crc_byte(self.k0, byte)
        self.k1 = ((self.k1 + (self.k0 & 0xFF)) * 134775813 + 1) & 0xFFFFFFFF
        self.k2 = _crc_byte(self.k2, self.k1 >> 24)

    def encrypt(self, data: bytes) -> bytes:
        out = bytearray()
        for byte in data:
            temp = (self.k2 | 2) & 0xFFFF
            out.append(byte ^ (((temp * (temp ^ 1)) >> 8) & 0xFF))
            self.update(byte)
        return bytes(out)


def encrypted_zip(members: dict[str, tuple[bytes, bool]], password: bytes) -> bytes:
    """A zip of stored members; those marked True are encrypted with ``password``."""
    rng = random.Random(5)
    body = io.BytesIO()
    central = io.BytesIO()
    for name, (data, secret) in members.items():
        crc = zlib.crc32(data)
        payload = data
        flags = 0
        if secret:
            flags = 0x1
            header = bytes(rng.randrange(256) for _ in range(11)) + bytes([crc >> 24])
            payload = _Keys(password).encrypt(header + data)
        encoded = name.encode()
        offset = body.tell()
        fields = (20, flags, 0, 0, 0x21, crc, len(payload), len(data), len(encoded), 0)
        body.write(struct.pack("<4s5HIIIHH", b"PK\x03\x04", *fields) + encoded + payload)
        central.write(
            struct.pack("<4s6HIIIHHHHHII", b"PK\x01\x02", 20, *fields, 0, 0, 0, 0, offset) + encoded
        )
    directory = central.getvalue()
    end = struct.pack(
        "<4s4HIIH", b"PK\x05\x06", 0, 0, len(members), len(members), len(directory), body.tell(), 0
    )
    return body.getvalue() + directory + end
