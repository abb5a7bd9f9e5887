"""One read of a raw image for the whole run (evidence.one_pass): the same records, reports and verification
as reading the files and then the image again, on ext4, NTFS and FAT images made by the Debian tools.

Each run with the pass is compared with a run of the same image by the earlier path (``execute`` with
``one_pass=False``: the files read from the image, then the image read again to verify it). The pass's own
count of bytes it served shows the files' content really came from it; a small window (patched) makes
reads fall behind it and ahead of it, so both ways of serving a read are exercised.
"""

from __future__ import annotations

import functools
import io
import os
import random
import threading
from pathlib import Path
from typing import Any

import pytest

from tests.evidence import make_images as mk
from vigilant.evidence import one_pass
from vigilant.evidence.images import RawImage
from vigilant.evidence.sources import RawSource
from vigilant.security.rights import Actor
from vigilant.store import Database
from vigilant.triage import service as triage_service
from vigilant.triage.records import FileRecord
from vigilant.triage.results import iter_records
from vigilant.triage.runner import Progress, execute
from vigilant.triage.service import TriageService
from vigilant.triage.settings import TriageSettings

EXAMINER = Actor.cli("examiner")
SETTINGS = TriageSettings(batch_files=4, processes=1)
REPORTS = ("html", "csv", "dfxml", "hashdeep", "vics")


class _Counted(one_pass.PassReader):
    """The pass, kept where the test can read its counts."""

    made: list[one_pass.PassReader] = []  # noqa: RUF012 - reset by each test through the fixture

    def __init__(self, inner: Any, digests: tuple[str, ...] = one_pass.RAW_DIGESTS) -> None:
        super().__init__(inner, digests)
        _Counted.made.append(self)


@pytest.fixture
def passes(monkeypatch: pytest.MonkeyPatch) -> list[one_pass.PassReader]:
    _Counted.made = []
    monkeypatch.setattr(one_pass, "PassReader", _Counted)
    return _Counted.made


def _small_window(monkeypatch: pytest.MonkeyPatch, lookahead: int) -> None:
    """64 KiB chunks, four in the window: on a 16 MiB image the pass leaves files behind and ahead of it;
    reads up to ``lookahead`` bytes ahead of the pass wait for it."""
    monkeypatch.setattr(one_pass, "CHUNK", 64 << 10)
    monkeypatch.setattr(one_pass, "WINDOW", 4)
    monkeypatch.setattr(one_pass, "LARGEST", 128 << 10)
    monkeypatch.setattr(one_pass, "LOOKAHEAD", lookahead)


def _run(service: TriageService, evidence_id: int, *, one: bool, monkeypatch: pytest.MonkeyPatch) -> int:
    with monkeypatch.context() as m:
        m.setattr(triage_service, "execute", functools.partial(execute, one_pass=one))
        return service.start(evidence_id, SETTINGS, EXAMINER, Progress())


def _records(service: TriageService, run_id: int) -> list[FileRecord]:
    return list(iter_records(Path(service.status(run_id, EXAMINER).results_dir)))


def _reports(service: TriageService, run_id: int) -> dict[str, bytes]:
    out = {}
    for fmt in REPORTS:
        buffer = io.BytesIO()
        service.report(run_id, fmt, buffer, EXAMINER)
        out[fmt] = buffer.getvalue()
    return out


def _both_ways(
    db: Database, tmp_path: Path, image: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[TriageService, int, int]:
    service = TriageService(db, tmp_path / "data")
    evidence = service.evidence.add(image, actor=EXAMINER)
    return (
        service,
        _run(service, evidence.id, one=True, monkeypatch=monkeypatch),
        _run(service, evidence.id, one=False, monkeypatch=monkeypatch),
    )


def _custody(service: TriageService, run_id: int) -> list[tuple[str, dict[str, Any]]]:
    evidence_id = service.status(run_id, EXAMINER).evidence_id
    return [(e.action, e.detail) for e in service.evidence.custody(evidence_id, EXAMINER)]


def _same_verification(one: dict[str, Any] | None, again: dict[str, Any] | None) -> None:
    assert one is not None
    assert again is not None
    assert one["how"] == "in the run's own read of the image"
    assert again["how"] == "read again"
    assert {k: v for k, v in one.items() if k != "how"} == {k: v for k, v in again.items() if k != "how"}


@pytest.mark.parametrize("kind", ["ext4", "ntfs", "fat16"])
def test_one_pass_gives_the_records_reports_and_verification_of_two_reads(
    db: Database,
    tmp_path: Path,
    kind: str,
    monkeypatch: pytest.MonkeyPatch,
    passes: list[one_pass.PassReader],
) -> None:
    built = {"ext4": mk.make_ext4, "ntfs": mk.make_ntfs, "fat16": lambda w: mk.make_fat(w, 16)}[kind](
        tmp_path
    )
    service, one, again = _both_ways(db, tmp_path, built.path, monkeypatch)
    records = _records(service, one)
    assert records == _records(service, again)
    assert sum(r.sha256 is not None for r in records) >= len(built.files)
    assert _reports(service, one) == _reports(service, again)
    _same_verification(
        service.status(one, EXAMINER).verification, service.status(again, EXAMINER).verification
    )
    assert service.status(one, EXAMINER).verification["ok"]  # type: ignore[index]
    # The run with the pass read the image through it, and its files' content came from it.
    assert len(passes) == 1
    assert passes[0].served > 0
    # The custody log tells the same story both ways: verified, then triage-finished.
    events = [action for action, _ in _custody(service, one)]
    assert events.count("verified") == 2
    assert events.count("triage-finished") == 2


def test_an_e01_is_read_once_and_verified_against_its_stored_hashes_as_before(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, passes: list[one_pass.PassReader]
) -> None:
    built = mk.make_ntfs(tmp_path)
    e01 = mk.make_e01(built.path, tmp_path / "laptop")
    service, one, again = _both_ways(db, tmp_path, e01, monkeypatch)
    assert _records(service, one) == _records(service, again)
    assert _reports(service, one) == _reports(service, again)
    verification = service.status(one, EXAMINER).verification
    assert verification == service.status(again, EXAMINER).verification  # the very same, as before
    assert verification is not None
    assert verification["ok"]
    assert verification["compared"] == ["md5", "sha1"]
    assert passes[0].served > 0  # the media was decompressed once, for the files and the hashes
    verified = [detail for action, detail in _custody(service, one) if action == "verified"]
    assert verified[0] == verified[1]


def test_files_behind_and_ahead_of_a_small_window_read_the_same(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, passes: list[one_pass.PassReader]
) -> None:
    _small_window(monkeypatch, lookahead=16 << 20)  # every read waits for the pass: served, or left behind
    built = mk.make_ext4(tmp_path)
    service, one, again = _both_ways(db, tmp_path, built.path, monkeypatch)
    assert _records(service, one) == _records(service, again)
    _same_verification(
        service.status(one, EXAMINER).verification, service.status(again, EXAMINER).verification
    )
    assert passes[0].served > 0


def test_an_image_changed_since_acquisition_still_fails_verification(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, passes: list[one_pass.PassReader]
) -> None:
    built = mk.make_ext4(tmp_path)
    service = TriageService(db, tmp_path / "data")
    evidence = service.evidence.add(built.path, actor=EXAMINER)
    with built.path.open("r+b") as fh:  # a byte of the last block, which no file uses, changes
        fh.seek(-1, os.SEEK_END)
        last = fh.read(1)
        fh.seek(-1, os.SEEK_END)
        fh.write(bytes([last[0] ^ 0xFF]))
    one = _run(service, evidence.id, one=True, monkeypatch=monkeypatch)
    again = _run(service, evidence.id, one=False, monkeypatch=monkeypatch)
    verification = service.status(one, EXAMINER).verification
    assert verification is not None
    assert not verification["ok"]
    assert verification["mismatched"] == ["md5", "sha256"]
    _same_verification(verification, service.status(again, EXAMINER).verification)
    assert _records(service, one) == _records(service, again)
    failed = [detail for action, detail in _custody(service, one) if action == "verify-failed"]
    assert len(failed) == 2
    assert failed[0]["how"] == "in the run's own read of the image"


def test_a_short_image_is_a_named_problem_both_ways(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, passes: list[one_pass.PassReader]
) -> None:
    built = mk.make_ext4(tmp_path)
    service = TriageService(db, tmp_path / "data")
    evidence = service.evidence.add(built.path, actor=EXAMINER)
    os.truncate(built.path, 2 << 20)  # cut short after acquisition: files past 2 MiB are gone
    one = _run(service, evidence.id, one=True, monkeypatch=monkeypatch)
    again = _run(service, evidence.id, one=False, monkeypatch=monkeypatch)
    records = _records(service, one)
    assert records == _records(service, again)
    cut = {r.path: r.error for r in records if r.status == "unreadable"}
    assert "content ends at byte" in str(cut.get("/big.bin")), cut
    verification = service.status(one, EXAMINER).verification
    assert verification is not None
    assert not verification["ok"]
    assert set(verification["mismatched"]) == {"bytes", "md5", "sha256"}
    _same_verification(verification, service.status(again, EXAMINER).verification)


def test_a_paused_run_resumes_to_the_same_results_and_leaves_no_pass_running(
    db: Database, tmp_path: Path, passes: list[one_pass.PassReader]
) -> None:
    built = mk.make_ntfs(tmp_path)
    service = TriageService(db, tmp_path / "data")
    item = service.evidence.add(built.path, actor=EXAMINER)
    one_thread = TriageSettings(batch_files=2, processes=1, threads=1)
    whole = service.start(item.id, one_thread, EXAMINER, Progress())
    run_id = service.create(item.id, one_thread, EXAMINER)
    asked: list[str] = []

    def pause_once(files: int, size: int) -> None:  # told as the first group of files is done
        if not asked:
            asked.append(service.control(run_id, "pause", EXAMINER))

    service.work(run_id, EXAMINER, Progress(on_advance=pause_once))
    assert service.status(run_id, EXAMINER).status == "paused"
    assert passes[-1].closed  # the stopped run's pass was stopped with its walk
    assert passes[-1].hashes() is None  # and it verified nothing
    assert not [t for t in threading.enumerate() if t.name.startswith("image-pass")]
    service.resume(run_id, EXAMINER, Progress())
    assert service.status(run_id, EXAMINER).status == "finished"
    assert _records(service, run_id) == _records(service, whole)
    assert _reports(service, run_id) == _reports(service, whole)
    verification = service.status(run_id, EXAMINER).verification
    assert verification is not None
    assert verification["ok"]
    assert verification["how"] == "in the run's own read of the image"
    assert len(passes) == 3  # the whole run's, the paused one's, the resumed one's


# --- the reader itself, on a file of random bytes --------------------------------------------------------
def _random_image(path: Path, size: int) -> bytes:
    data = random.Random(17).randbytes(size)
    path.write_bytes(data)
    return data


def test_the_pass_hashes_the_image_as_acquisition_does_and_serves_reads_anywhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _small_window(monkeypatch, lookahead=256 << 10)  # reads behind, in, and far ahead of the window
    path = tmp_path / "disk.raw"
    data = _random_image(path, (3 << 20) + 12_345)  # several windows, and a last chunk part full
    rng = random.Random(5)
    with one_pass.PassReader(RawImage(path)) as reader:
        # Reads as a file's extents give them: forwards, backwards, across chunks, in the pass's way.
        for offset in [
            0,
            70_000,
            1 << 20,
            5,
            (3 << 20) - 100,
            *(rng.randrange(len(data)) for _ in range(60)),
        ]:
            size = min(rng.randrange(1, 200_000), len(data) - offset)
            view = memoryview(bytearray(size))
            assert reader.readinto(offset, view) == size
            assert bytes(view) == data[offset : offset + size], offset
            assert reader.read(offset, 1000) == data[offset : offset + 1000]
        hashes = reader.hashes()
        assert reader.served > 0
        assert reader.own > 0
    assert hashes == RawSource().acquisition_hashes(path)


def test_an_image_cut_short_under_the_pass_gives_no_hashes_and_reads_name_the_byte(tmp_path: Path) -> None:
    path = tmp_path / "disk.raw"
    data = _random_image(path, 8 << 20)
    image = RawImage(path)  # its size is taken now: 8 MiB
    os.truncate(path, 1 << 20)  # then the file shrinks while the run reads it
    with one_pass.PassReader(image) as reader:
        assert reader.hashes() is None
        assert reader.error is not None
        assert "ends early at byte 1048576" in reader.error
        view = memoryview(bytearray(4096))
        with pytest.raises(OSError, match="ends early at byte 5242880"):
            reader.readinto(5 << 20, view)
        assert reader.readinto(0, view) == 4096
        assert bytes(view) == data[:4096]
