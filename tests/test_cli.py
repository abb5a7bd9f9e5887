"""The command line end to end: exit codes, output, and the demo."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from tests.library.helpers import entry, md5_of
from vigilant.cli import run
from vigilant.demo import draw_image
from vigilant.errors import ExitCode
from vigilant.library.samples import write_vics


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["--help"]) == 0
    out = capsys.readouterr().out
    for command in ("library", "hash", "demo", "db", "version"):
        assert command in out


def test_import_lookup_and_stats(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "set.json"
    write_vics(path, [entry(i) for i in range(12)], version="2.0", form="media")
    assert run(["library", "import", str(path), "--name", "Demo"]) == ExitCode.OK
    assert "12 taken, 0 refused" in capsys.readouterr().out
    assert run(["library", "import", str(path)]) == ExitCode.OK
    assert "already imported" in capsys.readouterr().out
    assert run(["library", "lookup", md5_of(4), "--json"]) == ExitCode.OK
    [result] = json.loads(capsys.readouterr().out)
    assert result["matches"][0]["set"] == "Demo"
    assert result["matches"][0]["category"]["label"] == "Child Abuse Material"
    assert run(["library", "lookup", md5_of(400)]) == ExitCode.NOT_FOUND
    capsys.readouterr()
    assert run(["library", "stats", "--json"]) == ExitCode.OK
    assert json.loads(capsys.readouterr().out)["entries"] == 12


def test_refused_rows_give_the_partial_exit_code(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "set.json"
    write_vics(path, [entry(1), entry(2, category="7")], version="2.0", form="media")
    assert run(["library", "import", str(path)]) == ExitCode.PARTIAL
    out = capsys.readouterr().out
    assert "1 taken, 1 refused" in out
    assert "bad-category" in out


def test_errors_are_one_clear_line_and_an_exit_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"\x00\x01 not a hash set")
    assert run(["library", "import", str(junk)]) == ExitCode.BAD_INPUT
    err = capsys.readouterr().err
    assert "cannot tell the format" in err
    assert "--format" in err
    assert run(["library", "show", "nope"]) == ExitCode.NOT_FOUND
    assert run(["library", "lookup", "--kind", "nonsense", "00"]) == ExitCode.BAD_INPUT


def test_hash_prints_digests_and_pdq(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    picture = tmp_path / "p.jpg"
    draw_image(3).save(picture, "JPEG", quality=90)
    text = tmp_path / "t.txt"
    text.write_bytes(b"synthetic-1")
    assert run(["hash", str(picture), str(text), "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(rows[0]["pdq"]) == 64
    assert rows[0]["pdq_quality"] >= 50
    assert rows[1]["md5"] == md5_of(1)
    assert "pdq" not in rows[1]


@pytest.mark.parametrize("keep", [300, 5000])  # cut inside the header / inside the image data
def test_hash_reports_a_corrupt_image_and_carries_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], keep: int
) -> None:
    broken = tmp_path / "broken.jpg"
    draw_image(1).save(broken, "JPEG")
    broken.write_bytes(broken.read_bytes()[:keep])
    fine = tmp_path / "fine.png"
    Image.new("RGB", (64, 64), (10, 200, 30)).save(fine)
    code = run(["hash", str(broken), str(fine), "--json"])
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert code == ExitCode.BAD_INPUT
    assert "error" in rows[0]
    assert "broken.jpg" in rows[0]["error"]
    assert "md5" in rows[1]
    assert "error" not in rows[1]


def test_demo_runs_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["demo", "--folder", str(tmp_path / "demo"), "--no-serve"]) == 0
    out = capsys.readouterr().out
    assert "already imported" in out
    assert "Demo VICS set" in out
    assert (tmp_path / "demo" / "export-vics.json").exists()
    reports = tmp_path / "demo" / "reports"
    suffixes = ["case.jsonld", "csv", "dfxml", "hashdeep.txt", "html", "vics.json"]
    assert sorted(p.name for p in reports.glob("run-1.*")) == [f"run-1.{s}" for s in suffixes]
    assert "4 known-bad" in out  # exact, near-duplicate, deleted and zipped pictures on the seized disk
    assert "downloaded piece" in out  # the loopback swarm was observed down to a verified piece
    assert "chain intact" in out
    [package] = (reports / "lead-1").glob("lead-*.json")
    assert '"status": "verified"' in package.read_text()
    assert "Operation Lantern (OP-LANTERN): 27 agencies" in out  # generated: see tests/test_demo.py
    assert "youths_charged" in out  # its figures
    assert "The public release" in out
    assert "registry-officer" in out  # the table of demo logins
    assert not (tmp_path / "demo" / "server.pid").exists()  # --no-serve
