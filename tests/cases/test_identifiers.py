"""Each identifier kind cleans its text to one canonical form and compares by it."""

from __future__ import annotations

import pytest

from vigilant.cases.errors import InvalidIdentifierError
from vigilant.cases.identifiers import IDENTIFIER_TYPES, IdentifierKind, clean, parse_kind, same


@pytest.mark.parametrize(
    ("kind", "raw", "canonical"),
    [
        ("ip", " 203.0.113.7 ", "203.0.113.7"),
        ("ip", "2001:DB8:0:0:0:0:0:1", "2001:db8::1"),
        ("ip", "[2001:db8::a]", "2001:db8::a"),
        ("ip", "::ffff:198.51.100.4", "198.51.100.4"),
        ("guid", "{0F8FAD5B-D9CB-469F-A165-70867728950E}", "0f8fad5b-d9cb-469f-a165-70867728950e"),
        ("guid", "0f8fad5bd9cb469fa16570867728950e", "0f8fad5b-d9cb-469f-a165-70867728950e"),
        ("peer_id", "-qB4630-AAAAAAAAAAAA", ("-qB4630-" + "A" * 12).encode().hex()),
        ("peer_id", "%2DqB4630%2D" + "A" * 12, ("-qB4630-" + "A" * 12).encode().hex()),
        ("peer_id", "2D7142343633302D" + "41" * 12, "2d7142343633302d" + "41" * 12),
        ("email", " Someone.Else@Example.COM ", "someone.else@example.com"),
        ("email", "mailto:a@bücher.example", "a@xn--bcher-kva.example"),
        ("username", "@Some_User", "some_user"),
        ("username", "ＡＢＣ", "abc"),  # full-width letters fold to ASCII (NFKC)
        ("phone", "(613) 555-0134", "+16135550134"),
        ("phone", "1-613-555-0134", "+16135550134"),
        ("phone", "+44 20 7946 0000", "+442079460000"),
        ("phone", "0044 20 7946 0000", "+442079460000"),
        ("phone", "011 44 20 7946 0000", "+442079460000"),
        ("device_serial", " c02xk0aa jg5h ", "C02XK0AAJG5H"),
        ("camera_serial", "0123 4567", "01234567"),
    ],
)
def test_clean_gives_the_canonical_form(kind: str, raw: str, canonical: str) -> None:
    assert clean(kind, raw) == canonical
    assert clean(kind, canonical) == canonical  # cleaning is idempotent
    assert same(kind, raw, canonical)


@pytest.mark.parametrize(
    ("kind", "raw"),
    [
        ("ip", "203.0.113.7:6881"),
        ("ip", "198.51.100.0/24"),
        ("ip", "203.0.113.256"),
        ("guid", "not-a-guid"),
        ("peer_id", "too short"),
        ("email", "no-at-sign.example.com"),
        ("email", "a b@example.com"),
        ("username", "two words"),
        ("phone", "020 7946 0000"),  # no country code, not North American
        ("phone", "+0 123 4567 89"),
        ("device_serial", "   "),
    ],
)
def test_invalid_values_are_refused_with_a_hint(kind: str, raw: str) -> None:
    with pytest.raises(InvalidIdentifierError) as caught:
        clean(kind, raw)
    assert caught.value.hint  # says how to write it


def test_different_values_are_not_the_same() -> None:
    assert not same("ip", "203.0.113.7", "203.0.113.8")
    assert not same("ip", "203.0.113.7", "garbage")  # invalid never matches
    assert not same("email", "a@example.com", "a@example.org")
    assert not same("phone", "+16135550134", "+16135550135")


def test_every_kind_has_exactly_one_type() -> None:
    assert set(IDENTIFIER_TYPES) == set(IdentifierKind)
    for kind, kind_type in IDENTIFIER_TYPES.items():
        assert kind_type.kind is kind
        assert clean(kind, kind_type.example)  # each example is valid


def test_kinds_parse_with_dashes_and_refuse_unknowns() -> None:
    assert parse_kind("Peer-Id") is IdentifierKind.PEER_ID
    with pytest.raises(InvalidIdentifierError, match="unknown identifier kind"):
        parse_kind("fax")
