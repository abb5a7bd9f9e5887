"""``--key KIND:FROM``: where each kind of key is read from, and the mistakes refused with what to do."""

from __future__ import annotations

from pathlib import Path

import pytest

from vigilant.evidence.base import EvidenceError
from vigilant.evidence.keys import KeyKind, KeyRing, UnlockEvent, VolumeKey, current_ring, holding, parse_key


def no_prompt(text: str) -> str:
    raise AssertionError(f"prompted for {text}")


def test_a_key_is_typed_at_a_prompt_read_from_the_environment_or_from_a_file(tmp_path: Path) -> None:
    asked: list[str] = []

    def typed(text: str) -> str:
        asked.append(text)
        return "typed secret"

    assert parse_key("passphrase:prompt", typed) == VolumeKey(KeyKind.PASSPHRASE, "typed secret")
    assert asked == ["passphrase (not echoed)"]
    env = {"BDE": "111111-222222-333333-444444-555555-666666-777777-888888"}
    assert parse_key("recovery-password:env:BDE", no_prompt, env).secret == env["BDE"]
    text = tmp_path / "password.txt"
    text.write_text("apfs password\nsecond line\n")
    assert parse_key(f"password:file:{text}", no_prompt).secret == "apfs password"  # its first line
    key_file = tmp_path / "luks.key"
    key_file.write_text("whole file\n")
    assert (
        parse_key(f"key-file:file:{key_file}", no_prompt).secret == "whole file\n"
    )  # as cryptsetup reads it
    bek = tmp_path / "ABCD.BEK"
    bek.write_bytes(b"\x00\xff binary")
    assert parse_key(f"startup-key:file:{bek}", no_prompt) == VolumeKey(KeyKind.STARTUP_KEY, path=bek)


def test_a_key_never_shows_in_its_text_forms() -> None:
    key = VolumeKey(KeyKind.PASSPHRASE, "hunter2-secret")
    ring = KeyRing([key])
    for shown in (str(key), repr(key), repr(ring), str(UnlockEvent("v", "LUKS1", key.kind).detail())):
        assert "hunter2" not in shown
    assert str(key) == "passphrase"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("pin:prompt", "unknown kind of key 'pin'"),
        ("passphrase", "--key passphrase:… must say where the key is read from"),
        ("passphrase:s3cret", "--key passphrase:… must say where the key is read from"),
        ("passphrase:env:", "--key passphrase:… must say where the key is read from"),
        ("startup-key:prompt", "a startup-key is a file"),
        ("passphrase:env:NOT_SET_ANYWHERE", "the environment variable NOT_SET_ANYWHERE"),
        ("passphrase:file:/nonexistent/key.txt", "cannot read the passphrase file /nonexistent/key.txt"),
    ],
)
def test_mistakes_are_refused_and_never_echo_what_was_typed(spec: str, message: str) -> None:
    with pytest.raises(EvidenceError) as caught:
        parse_key(spec, no_prompt, {})
    assert str(caught.value).startswith(message)
    assert "s3cret" not in str(caught.value)


def test_a_binary_key_file_is_refused_with_the_reason(tmp_path: Path) -> None:
    key_file = tmp_path / "random.key"
    key_file.write_bytes(b"\xff\xfe\x00\x01")
    with pytest.raises(EvidenceError, match="not UTF-8 text"):
        parse_key(f"key-file:file:{key_file}", no_prompt)


def test_keys_are_held_for_a_block_only_and_each_outcome_told_once() -> None:
    told: list[UnlockEvent] = []
    ring = KeyRing([VolumeKey(KeyKind.PASSWORD, "x")], told.append)
    assert current_ring() is None
    with holding(ring):
        assert current_ring() is ring
        event = UnlockEvent("partition 2", "APFS", KeyKind.PASSWORD)
        ring.tell(event)
        ring.tell(event)  # the count's walk and the run's pass meet the same volume
    assert current_ring() is None
    assert told == [event]
    assert ring.for_encryption("LUKS") == [VolumeKey(KeyKind.PASSWORD, "x")]
    assert ring.for_encryption("BitLocker")[0].kind is KeyKind.PASSWORD
