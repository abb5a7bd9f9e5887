"""The command line end to end: exit codes, output, and the demo."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from tests.library.helpers import entry, md5_of
from tests.perceptual.videos import frames_of, write_video
from vigilant.cli import run
from vigilant.cli.common import database
from vigilant.demo.pictures import draw_image
from vigilant.errors import ExitCode
from vigilant.library.samples import write_vics
from vigilant.security.rights import Actor
from vigilant.triage.results import iter_records
from vigilant.triage.service import TriageService
from vigilant.triage.settings import TriageSettings

# The CLI's own actors (Actor.cli: an administrator for no agency, who sees every record).
ME = Actor.cli("test")


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
    # The exact, near-duplicate, deleted and zipped pictures, and the re-encoded video (by vPDQ).
    assert "5 known-bad" in out
    csv = (reports / "run-1.csv").read_text()
    [clip] = [line for line in csv.splitlines() if "/Videos/holiday-clip.mkv" in line]
    assert "Demo known videos@2026.11:vpdq:" in clip
    assert "seized in case" in out  # the laptop linked to a partner case, for the web
    assert "downloaded piece" in out  # the loopback swarm was observed down to a verified piece
    assert "chain intact" in out
    [package] = (reports / "lead-1").glob("lead-*.json")
    assert '"status": "verified"' in package.read_text()
    assert "Operation Lantern (OP-LANTERN): 27 agencies" in out  # generated: see tests/test_demo.py
    assert "youths_charged" in out  # its figures
    assert "The public release" in out
    assert "registry-officer" in out  # the table of demo logins
    assert not (tmp_path / "demo" / "server.pid").exists()  # --no-serve


def _triage(tmp_path: Path, *options: str) -> dict[str, Any]:
    """Run `vigilant triage run` on the evidence labelled 'phone' and return the settings it recorded."""
    assert run(["triage", "run", "phone", "--processes", "0", *options]) == ExitCode.OK
    service = TriageService(database(), tmp_path / "vigilant-data")
    settings: dict[str, Any] = service.status(service.runs(ME)[-1].id, ME).settings
    return settings


def test_triage_run_records_what_it_decodes_and_the_video_limits(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seized = tmp_path / "seized"
    seized.mkdir()
    write_video(seized / "clip.mp4", frames_of([1, 2], 5, (160, 120)), fps=5)
    draw_image(2).save(seized / "p.jpg", "JPEG")
    assert run(["evidence", "add", str(seized), "--label", "phone"]) == ExitCode.OK
    keys = ("identify", "pdq", "exif", "max_video_bytes", "max_video_seconds", "max_video_frames")
    defaults = TriageSettings().to_json()

    recorded = _triage(tmp_path)  # as before these options: everything on, the settings' limits
    assert {k: recorded[k] for k in keys} == {k: defaults[k] for k in keys}
    assert (recorded["identify"], recorded["pdq"], recorded["exif"]) == (True, True, True)

    limited = _triage(
        tmp_path, "--max-video-bytes", "1000", "--max-video-seconds", "7", "--max-video-frames", "99"
    )
    assert (limited["max_video_bytes"], limited["max_video_seconds"], limited["max_video_frames"]) == (
        1000,
        7,
        99,
    )
    # The limit reached the run: the clip is larger than 1000 bytes, so it is hashed but not decoded.
    service = TriageService(database(), tmp_path / "vigilant-data")
    records = {r.path: r for r in iter_records(Path(service.status(service.runs(ME)[-1].id, ME).results_dir))}
    assert records["/clip.mp4"].sha256 is not None
    assert "too large" in (records["/clip.mp4"].pdq_note or "")
    assert not records["/clip.mp4"].video_frames

    def chosen(*options: str) -> tuple[bool, bool, bool]:
        settings = _triage(tmp_path, *options)
        return settings["identify"], settings["pdq"], settings["exif"]

    assert chosen("--no-pdq") == (True, False, False)  # EXIF follows --pdq unless asked, as it did
    assert chosen("--no-pdq", "--exif") == (True, False, True)
    assert chosen("--no-exif") == (True, True, False)
    assert chosen("--no-identify") == (False, False, False)  # digests only
    assert chosen("--no-identify", "--pdq", "--exif") == (False, False, False)
    capsys.readouterr()


@pytest.mark.parametrize("option", ["--max-video-bytes", "--max-video-seconds", "--max-video-frames"])
@pytest.mark.parametrize("value", ["0", "-5", "ten"])
def test_triage_run_refuses_a_bad_video_limit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], option: str, value: str
) -> None:
    seized = tmp_path / "seized"
    seized.mkdir()
    (seized / "a.txt").write_bytes(b"synthetic-1")
    assert run(["evidence", "add", str(seized), "--label", "phone"]) == ExitCode.OK
    capsys.readouterr()
    assert run(["triage", "run", "phone", option, value]) == ExitCode.USAGE
    err = capsys.readouterr().err
    assert f"Invalid value for '{option}'" in err
    assert TriageService(database(), tmp_path / "vigilant-data").runs(ME) == []  # nothing was started
