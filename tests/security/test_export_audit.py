"""Every export writes an event into the audit chain, naming the bytes that left by their SHA-256."""

from __future__ import annotations

import hashlib
from pathlib import Path

from sqlalchemy import select

from tests.library.helpers import entry
from vigilant.cli import common, run
from vigilant.errors import ExitCode
from vigilant.library.samples import write_vics
from vigilant.security.audit import verify_chain
from vigilant.security.models import AuditEventRow


def _exports() -> list[AuditEventRow]:
    with common.database().session() as s:
        return list(s.scalars(select(AuditEventRow).where(AuditEventRow.action == "export")))


def test_library_export_to_a_file_and_to_stdout_is_audited(tmp_path: Path) -> None:
    source = tmp_path / "set.json"
    write_vics(source, [entry(i) for i in range(5)], version="2.0", form="media")
    assert run(["library", "import", str(source), "--name", "Exported set"]) == ExitCode.OK
    assert _exports() == []  # an import is no export
    target = tmp_path / "out.hashdeep"
    assert run(["library", "export", "-f", "hashdeep", "-o", str(target)]) == ExitCode.OK
    assert run(["library", "export", "-f", "md5sum"]) == ExitCode.OK
    to_file, to_stdout = _exports()
    assert to_file.actor == "test-examiner"
    assert to_file.object_type == "hash_set"
    assert to_file.detail["format"] == "hashdeep"
    assert to_file.detail["records"] == 5
    assert to_file.detail["destination"] == str(target)
    assert to_file.detail["sha256"] == hashlib.sha256(target.read_bytes()).hexdigest()
    assert to_stdout.detail["destination"] == "stdout"
    assert to_stdout.detail["sha256"] is None
    assert verify_chain(common.database()).ok
