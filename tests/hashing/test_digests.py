from __future__ import annotations

import base64

import pytest

from vigilant.errors import ConflictError
from vigilant.hashing.digests import (
    BTIH_V1,
    DIGEST_KINDS,
    MD5,
    PDQ,
    SHA1,
    SHA256,
    DigestKind,
    DigestRegistry,
    InvalidDigestError,
)


def test_hex_is_normalised_to_lower_case_bytes() -> None:
    raw = MD5.parse("  9E107D9D372BB6826BD81D3542A419D6\n")
    assert raw == bytes.fromhex("9e107d9d372bb6826bd81d3542a419d6")
    assert MD5.format(raw) == "9e107d9d372bb6826bd81d3542a419d6"


@pytest.mark.parametrize(
    ("kind", "text"),
    [(MD5, "9e107d9d372bb6826bd81d3542a419d"), (SHA1, "zz" * 20), (SHA256, "ab" * 31), (MD5, "")],
)
def test_bad_text_says_what_was_expected(kind: DigestKind, text: str) -> None:
    with pytest.raises(InvalidDigestError, match=f"expected {kind.hex_length} hexadecimal"):
        kind.parse(text)


def test_pdq_compares_by_hamming_distance() -> None:
    a = bytes(32)
    b = bytes([0xFF] * 3) + bytes([0x7F]) + bytes(28)  # 31 bits set
    c = bytes([0xFF] * 4) + bytes(28)  # 32 bits set
    assert PDQ.distance(a, b) == 31
    assert PDQ.equal(a, b)
    assert not PDQ.equal(a, c)


def test_v1_infohash_accepts_base32_from_magnet_links() -> None:
    raw = bytes(range(20))
    assert BTIH_V1.parse(base64.b32encode(raw).decode()) == raw
    assert BTIH_V1.parse(raw.hex()) == raw


def test_candidates_list_every_reading_of_a_64_hex_value() -> None:
    names = [k.name for k in DIGEST_KINDS.candidates("ab" * 32)]
    assert names == ["sha256", "pdq", "btih_v2", "bt_v2_root"]
    assert [k.name for k in DIGEST_KINDS.candidates("ab" * 16)] == ["md5"]


def test_registry_refuses_duplicate_names() -> None:
    with pytest.raises(ConflictError, match="registered twice"):
        DigestRegistry([MD5, DigestKind("md5", 16, "other")])
