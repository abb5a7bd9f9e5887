"""Audit anchors catch what the chain alone cannot: a log rewritten with every hash recomputed, or cut."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete

from tests.security.conftest import ADMIN, T0, rewrite_chain
from vigilant.cli import run
from vigilant.errors import ExitCode
from vigilant.security.audit import HEAD_ID, AuditLog, RecordRead, verify_chain
from vigilant.security.audit_anchor import Anchor, check_anchor, take_anchor
from vigilant.security.models import AuditEventRow, AuditHeadRow
from vigilant.store import Database


def _events(db: Database, count: int, start: int = 0) -> None:
    log = AuditLog(db)
    for i in range(start, start + count):
        log.record(RecordRead.by(ADMIN, object_type="case", object_id=str(i)), now=T0 + timedelta(seconds=i))


def test_an_anchor_holds_while_the_log_grows(db: Database) -> None:
    _events(db, 3)
    anchor = take_anchor(AuditLog(db), ADMIN, now=T0 + timedelta(minutes=1), note="court package 2026-0042")
    assert anchor.seq == 4
    _events(db, 3, start=10)
    assert check_anchor(AuditLog(db), ADMIN, anchor, now=T0) is None
    with db.session() as s:
        row = s.get(AuditEventRow, anchor.seq)
        assert row is not None
        assert (row.action, row.detail) == ("audit.anchored", {"note": "court package 2026-0042"})
    # What is written out reads back the same.
    assert Anchor.from_json(json.loads(json.dumps(anchor.to_json())), "anchor.json") == anchor


@pytest.mark.parametrize("changed", [2, 4], ids=["before the anchor", "the anchored event"])
def test_a_log_rewritten_with_recomputed_hashes_verifies_but_fails_its_anchor(
    db: Database, changed: int
) -> None:
    _events(db, 3)
    anchor = take_anchor(AuditLog(db), ADMIN, now=T0 + timedelta(minutes=1))
    _events(db, 2, start=10)
    rewrite_chain(db, changed, "999")
    assert verify_chain(db).ok  # the chain alone cannot tell
    problem = check_anchor(AuditLog(db), ADMIN, anchor, now=T0)
    assert problem is not None
    assert f"event {anchor.seq} has hash" in problem
    assert "rewritten at or before the anchored event" in problem


def test_a_rewrite_after_the_anchor_is_not_the_anchors_to_catch(db: Database) -> None:
    _events(db, 2)
    anchor = take_anchor(AuditLog(db), ADMIN, now=T0 + timedelta(minutes=1))
    _events(db, 2, start=10)
    rewrite_chain(db, anchor.seq + 1, "999")
    assert (
        check_anchor(AuditLog(db), ADMIN, anchor, now=T0) is None
    )  # a later anchor would: take them regularly


def test_a_log_cut_short_before_the_anchor_fails_it(db: Database) -> None:
    _events(db, 3)
    anchor = take_anchor(AuditLog(db), ADMIN, now=T0 + timedelta(minutes=1))
    with db.session() as s:
        s.execute(delete(AuditEventRow).where(AuditEventRow.seq >= 3))
        head = s.get(AuditHeadRow, HEAD_ID)
        last = s.get(AuditEventRow, 2)
        assert head is not None
        assert last is not None
        head.seq, head.hash = 2, last.hash
    assert verify_chain(db).ok
    assert (
        check_anchor(AuditLog(db), ADMIN, anchor, now=T0)
        == "event 4 is gone: the log was cut short after the anchor was taken"
    )


def test_the_cli_takes_anchors_and_verifies_against_them(db: Database, tmp_path: Path) -> None:
    _events(db, 2)
    first = tmp_path / "anchor-1.json"
    assert run(["audit", "anchor", "-o", str(first), "--note", "weekly review"]) == 0
    assert run(["audit", "anchor", "-o", str(first)]) == ExitCode.CONFLICT  # never overwritten
    assert run(["audit", "anchor", "-o", str(tmp_path / "no" / "such" / "a.json")]) == ExitCode.BAD_INPUT
    second = tmp_path / "anchor-2.json"
    assert run(["audit", "anchor", "-o", str(second)]) == 0
    assert Anchor.read(second).seq == Anchor.read(first).seq + 1
    assert run(["audit", "verify", "--anchor", str(first), "--anchor", str(second)]) == 0

    rewrite_chain(db, 1, "999")
    assert run(["audit", "verify"]) == 0  # the chain alone verifies
    assert run(["audit", "verify", "--anchor", str(first)]) == ExitCode.CONFLICT


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "cannot read the anchor"),
        ('{"format": "other"}', "not a Vigilant audit anchor"),
        ('{"format": "vigilant-audit-anchor/1", "seq": 0, "hash": "ab", "at": "x"}', "not a positive"),
        ('{"format": "vigilant-audit-anchor/1", "seq": 3, "hash": "AB", "at": "x"}', "64 lower-case"),
        (
            '{"format": "vigilant-audit-anchor/1", "seq": 3, "hash": "' + "a" * 64 + '", "at": "2026-03-02"}',
            "ISO time with its zone",
        ),
    ],
)
def test_a_bad_anchor_file_is_refused_with_its_name(
    db: Database, tmp_path: Path, content: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "anchor.json"
    path.write_text(content)
    assert run(["audit", "verify", "--anchor", str(path)]) == ExitCode.BAD_INPUT
    err = capsys.readouterr().err
    assert message in " ".join(err.split())
    assert "anchor.json" in err


# --- which side is inconsistent: the anchor file, or the log ---------------------------------------------
def _altered(anchor: Anchor, **changes: object) -> Anchor:
    data = anchor.to_json()
    data.update(changes)
    return Anchor.from_json(json.loads(json.dumps(data)), "anchor.json")


def test_an_anchor_file_whose_hash_was_altered_is_blamed_on_the_file_with_full_hashes(db: Database) -> None:
    _events(db, 3)
    anchor = take_anchor(AuditLog(db), ADMIN, now=T0 + timedelta(minutes=1))
    # The last character only: the first 16 characters, all that used to be shown, are the same.
    forged = anchor.hash[:-1] + ("0" if anchor.hash[-1] != "0" else "1")
    problem = check_anchor(AuditLog(db), ADMIN, _altered(anchor, hash=forged), now=T0)
    assert problem is not None
    assert anchor.hash in problem
    assert forged in problem  # both in full
    assert "the anchor file is inconsistent" in problem
    assert "the log holds the anchored event unchanged" in problem
    assert "rewritten" not in problem


def test_an_anchor_file_whose_seq_was_altered_is_blamed_on_the_file(db: Database) -> None:
    _events(db, 3)
    anchor = take_anchor(AuditLog(db), ADMIN, now=T0 + timedelta(minutes=1))
    problem = check_anchor(AuditLog(db), ADMIN, _altered(anchor, seq=2), now=T0)
    assert problem is not None
    assert "the anchor file is inconsistent" in problem
    assert "rewritten" not in problem


@pytest.mark.parametrize(
    ("changed", "field"),
    [(2, "prev_hash"), (4, "object_id")],
    ids=["before the anchor", "the anchored event"],
)
def test_a_rewritten_log_is_blamed_on_the_log_naming_what_differs(
    db: Database, changed: int, field: str
) -> None:
    _events(db, 3)
    anchor = take_anchor(AuditLog(db), ADMIN, now=T0 + timedelta(minutes=1))
    rewrite_chain(db, changed, "999")
    with db.session() as s:
        row = s.get(AuditEventRow, anchor.seq)
        assert row is not None
        now_hash = row.hash
    problem = check_anchor(AuditLog(db), ADMIN, anchor, now=T0)
    assert problem is not None
    assert anchor.hash in problem
    assert now_hash in problem
    assert "the anchor file is consistent" in problem
    assert "rewritten at or before the anchored event" in problem
    assert field in problem


def test_an_anchor_of_the_first_format_still_checks_and_says_it_cannot_tell_which_side(db: Database) -> None:
    _events(db, 3)
    anchor = take_anchor(AuditLog(db), ADMIN, now=T0 + timedelta(minutes=1))
    old = {
        "format": "vigilant-audit-anchor/1",
        "seq": anchor.seq,
        "hash": anchor.hash,
        "at": anchor.at.isoformat(),
    }
    assert check_anchor(AuditLog(db), ADMIN, Anchor.from_json(old, "old.json"), now=T0) is None
    forged = anchor.hash[:-1] + ("0" if anchor.hash[-1] != "0" else "1")
    problem = check_anchor(AuditLog(db), ADMIN, Anchor.from_json({**old, "hash": forged}, "old.json"), now=T0)
    assert problem is not None
    assert anchor.hash in problem
    assert forged in problem
    assert "cannot tell" in problem
