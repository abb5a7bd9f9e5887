"""Identifiers that clean and compare themselves: one class per kind, filled into one registry.

An identifier is the hub of link analysis: two cases that hold the same e-mail address, phone or peer id are
linked only if both sides wrote it the same way, so every value is stored in its canonical form and raw input
is kept beside it for the record. Adding a kind means one class here and one line in ``_TYPES``.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
import uuid
from enum import StrEnum
from typing import ClassVar
from urllib.parse import unquote_to_bytes

from vigilant.cases.errors import InvalidIdentifierError


class IdentifierKind(StrEnum):
    IP = "ip"
    GUID = "guid"
    PEER_ID = "peer_id"
    EMAIL = "email"
    USERNAME = "username"
    PHONE = "phone"
    DEVICE_SERIAL = "device_serial"
    CAMERA_SERIAL = "camera_serial"


class IdentifierType:
    """One kind of identifier: how its text is cleaned, and when two values are the same."""

    kind: ClassVar[IdentifierKind]
    example: ClassVar[str]

    def clean(self, raw: str) -> str:
        text = raw.strip()
        if not text:
            raise self._invalid(raw, "it is empty")
        return self._clean(text)

    def _clean(self, text: str) -> str:
        raise NotImplementedError

    def same(self, a: str, b: str) -> bool:
        """Two values name the same thing when their canonical forms are equal; invalid values never match."""
        try:
            return self.clean(a) == self.clean(b)
        except InvalidIdentifierError:
            return False

    def _invalid(self, raw: str, why: str) -> InvalidIdentifierError:
        return InvalidIdentifierError(
            f"{raw!r} is not a valid {self.kind.value}: {why}",
            hint=f"write it like {self.example!r}",
        )


class IpType(IdentifierType):
    """IPv4 or IPv6, canonical text from :mod:`ipaddress`; IPv4-mapped IPv6 becomes the IPv4 it carries."""

    kind = IdentifierKind.IP
    example = "203.0.113.7"

    def _clean(self, text: str) -> str:
        if text.startswith("[") and text.endswith("]"):  # URL-style IPv6 literal
            text = text[1:-1]
        try:
            address = ipaddress.ip_address(text)
        except ValueError as exc:
            raise self._invalid(text, "not an IPv4 or IPv6 address (no port, no prefix length)") from exc
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            # Dual-stack servers log IPv4 clients as ::ffff:a.b.c.d; the subscriber is the IPv4 one.
            address = address.ipv4_mapped
        return address.compressed


class GuidType(IdentifierType):
    """A 128-bit GUID (Gnutella/eMule client GUIDs, app instance ids): lowercase, hyphenated."""

    kind = IdentifierKind.GUID
    example = "0f8fad5b-d9cb-469f-a165-70867728950e"

    def _clean(self, text: str) -> str:
        try:
            return str(uuid.UUID(text))  # accepts braces, urn:uuid:, with or without hyphens, any case
        except ValueError as exc:
            raise self._invalid(text, "a GUID has 32 hexadecimal digits") from exc


_HEX40 = re.compile(r"[0-9a-fA-F]{40}")


class PeerIdType(IdentifierType):
    """A BitTorrent peer id: 20 bytes, stored as 40 lowercase hex digits.

    Trackers show it percent-encoded, clients and logs as hex or as printable text; all become one form.
    """

    kind = IdentifierKind.PEER_ID
    example = "2d7142343633302d" + "41" * 12

    def _clean(self, text: str) -> str:
        if _HEX40.fullmatch(text):
            return text.lower()
        data = unquote_to_bytes(text) if "%" in text else text.encode("latin-1", errors="replace")
        if len(data) != 20:
            raise self._invalid(text, f"a peer id is 20 bytes, this is {len(data)}")
        return data.hex()


class EmailType(IdentifierType):
    """An e-mail address, lowercased whole.

    The local part is case-sensitive in theory only: every large provider ignores case, and a missed link
    costs more than a false one that an investigator checks.
    """

    kind = IdentifierKind.EMAIL
    example = "someone@example.com"

    def _clean(self, text: str) -> str:
        text = text.removeprefix("mailto:")
        local, at, domain = text.rpartition("@")
        if not at or not local or not domain or any(c.isspace() for c in text) or "." not in domain:
            raise self._invalid(text, "an e-mail address is local-part@domain.tld, no spaces")
        try:
            domain = domain.rstrip(".").encode("idna").decode("ascii")
        except UnicodeError as exc:
            raise self._invalid(text, "its domain is not a valid internet domain name") from exc
        return f"{unicodedata.normalize('NFKC', local).casefold()}@{domain.lower()}"


class UsernameType(IdentifierType):
    """A platform user name: NFKC-normalised, case-folded, without a leading '@'.

    Platforms treat user names case-insensitively; NFKC folds look-alike full-width forms.
    """

    kind = IdentifierKind.USERNAME
    example = "some_user"

    def _clean(self, text: str) -> str:
        name = unicodedata.normalize("NFKC", text).removeprefix("@").casefold()
        if not name or any(c.isspace() for c in name):
            raise self._invalid(text, "a user name has no spaces")
        return name


_PHONE_NOISE = re.compile(r"[\s().\-/]")


class PhoneType(IdentifierType):
    """A phone number in E.164 form (+ and 8 to 15 digits).

    Numbers without a country code are read as North American (+1), where Canadian units work; any other
    number must carry its country code, with '+' or the '00'/'011' international prefix.
    """

    kind = IdentifierKind.PHONE
    example = "+1 613 555 0134"

    def _clean(self, text: str) -> str:
        compact = _PHONE_NOISE.sub("", text)
        if compact.startswith("+"):
            digits = compact[1:]
        elif compact.startswith("011"):
            digits = compact[3:]
        elif compact.startswith("00"):
            digits = compact[2:]
        elif len(compact) == 10:
            digits = "1" + compact
        elif len(compact) == 11 and compact.startswith("1"):
            digits = compact
        else:
            raise self._invalid(text, "give the country code, e.g. +44 20 7946 0000")
        if not digits.isdigit() or not 8 <= len(digits) <= 15 or digits.startswith("0"):
            raise self._invalid(text, "E.164 numbers have 8 to 15 digits after the country code's '+'")
        return "+" + digits


class _SerialType(IdentifierType):
    """A manufacturer's serial: uppercase, spaces removed (labels and EXIF pad and split them)."""

    def _clean(self, text: str) -> str:
        serial = "".join(unicodedata.normalize("NFKC", text).split()).upper()
        if not serial.isprintable() or len(serial) > 200:
            raise self._invalid(text, "a serial number is printable text of at most 200 characters")
        return serial


class DeviceSerialType(_SerialType):
    kind = IdentifierKind.DEVICE_SERIAL
    example = "C02XK0AAJG5H"


class CameraSerialType(_SerialType):
    kind = IdentifierKind.CAMERA_SERIAL
    example = "0123456789"


_TYPES: tuple[IdentifierType, ...] = (
    IpType(),
    GuidType(),
    PeerIdType(),
    EmailType(),
    UsernameType(),
    PhoneType(),
    DeviceSerialType(),
    CameraSerialType(),
)


def _registry(types: tuple[IdentifierType, ...]) -> dict[IdentifierKind, IdentifierType]:
    registry: dict[IdentifierKind, IdentifierType] = {}
    for t in types:
        if t.kind in registry:
            raise RuntimeError(f"identifier kind {t.kind.value!r} registered twice")
        registry[t.kind] = t
    missing = set(IdentifierKind) - set(registry)
    if missing:
        raise RuntimeError(f"identifier kinds without a type: {sorted(missing)}")
    return registry


IDENTIFIER_TYPES = _registry(_TYPES)


def parse_kind(text: str) -> IdentifierKind:
    try:
        return IdentifierKind(text.strip().lower().replace("-", "_"))
    except ValueError:
        kinds = ", ".join(k.value for k in IdentifierKind)
        raise InvalidIdentifierError(
            f"unknown identifier kind {text!r}", hint=f"use one of {kinds}"
        ) from None


def clean(kind: IdentifierKind | str, raw: str) -> str:
    """The canonical form of ``raw`` as an identifier of ``kind``; raises with a hint when invalid."""
    k = kind if isinstance(kind, IdentifierKind) else parse_kind(kind)
    return IDENTIFIER_TYPES[k].clean(raw)


def same(kind: IdentifierKind | str, a: str, b: str) -> bool:
    k = kind if isinstance(kind, IdentifierKind) else parse_kind(kind)
    return IDENTIFIER_TYPES[k].same(a, b)
