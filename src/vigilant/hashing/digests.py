"""One class per digest kind: validate and normalise its text form, compare two values.

Digests are held as raw ``bytes`` everywhere inside Vigilant and shown as lower-case hex. Adding a kind
means one class here and one line in :data:`DIGEST_KINDS`.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import ClassVar

from vigilant.errors import BadInputError
from vigilant.extension_points import Registry


class InvalidDigestError(BadInputError):
    """A digest's text form is not valid for its kind."""


_HEX = re.compile(r"[0-9a-fA-F]+")


@dataclass(frozen=True)
class DigestKind:
    """A kind of digest: its name, its length in bytes, and how it compares."""

    name: str
    size: int
    label: str
    # Perceptual digests compare by Hamming distance; cryptographic ones only by equality.
    perceptual: ClassVar[bool] = False

    @property
    def hex_length(self) -> int:
        return self.size * 2

    def parse(self, text: str) -> bytes:
        """Return the raw bytes of ``text`` (hex, any case, surrounding blanks ignored)."""
        value = text.strip()
        if len(value) != self.hex_length or not _HEX.fullmatch(value):
            shown = value if len(value) <= 80 else value[:77] + "..."
            raise InvalidDigestError(
                f"{shown!r} is not a {self.label}: expected {self.hex_length} hexadecimal characters,"
                f" got {len(value)}"
            )
        return bytes.fromhex(value)

    def validate(self, raw: bytes) -> bytes:
        if len(raw) != self.size:
            raise InvalidDigestError(f"a {self.label} has {self.size} bytes, got {len(raw)}")
        return raw

    def format(self, raw: bytes) -> str:
        return self.validate(raw).hex()

    def equal(self, a: bytes, b: bytes) -> bool:
        return a == b


@dataclass(frozen=True)
class PerceptualKind(DigestKind):
    """A perceptual hash: values match when their Hamming distance is small."""

    perceptual: ClassVar[bool] = True
    default_threshold: int = 31

    def distance(self, a: bytes, b: bytes) -> int:
        return (int.from_bytes(self.validate(a), "big") ^ int.from_bytes(self.validate(b), "big")).bit_count()

    def equal(self, a: bytes, b: bytes) -> bool:
        return self.distance(a, b) <= self.default_threshold


@dataclass(frozen=True)
class InfohashV1Kind(DigestKind):
    """BitTorrent v1 infohash (SHA-1 of the info dict); magnet links may carry it as base32."""

    def parse(self, text: str) -> bytes:
        value = text.strip()
        if len(value) == 32 and not _HEX.fullmatch(value):
            try:
                return base64.b32decode(value.upper())
            except binascii.Error as exc:
                raise InvalidDigestError(f"{value!r} is not a base32 BitTorrent v1 infohash") from exc
        return super().parse(value)


MD5 = DigestKind("md5", 16, "MD5")
SHA1 = DigestKind("sha1", 20, "SHA-1")
SHA256 = DigestKind("sha256", 32, "SHA-256")
PDQ = PerceptualKind("pdq", 32, "PDQ hash", default_threshold=31)
BTIH_V1 = InfohashV1Kind("btih_v1", 20, "BitTorrent v1 infohash")
BTIH_V2 = DigestKind("btih_v2", 32, "BitTorrent v2 infohash")
BT_V2_ROOT = DigestKind("bt_v2_root", 32, "BitTorrent v2 file Merkle root")


class DigestRegistry(Registry[DigestKind]):
    """The digest kinds Vigilant knows."""

    what = "digest kind"
    plural = "kinds"

    def candidates(self, text: str) -> list[DigestKind]:
        """Kinds whose text form ``text`` could be (a 64-hex value may be SHA-256, PDQ, v2 infohash…)."""
        found = []
        for kind in self:
            try:
                kind.parse(text)
            except InvalidDigestError:
                continue
            found.append(kind)
        return found


DIGEST_KINDS = DigestRegistry([MD5, SHA1, SHA256, PDQ, BTIH_V1, BTIH_V2, BT_V2_ROOT])
# The cryptographic digests of file content, in the order reports show them.
FILE_DIGESTS: tuple[DigestKind, ...] = (MD5, SHA1, SHA256)
