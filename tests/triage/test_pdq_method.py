"""Pictures are PDQ-hashed as the list's producer hashed them (issue 11, A3).

python-threatexchange and Meta's HMA hash the whole decoded picture; Meta's C++ tool (and Vigilant before)
first brings the longest side to 512 px. The lists here are made by python-threatexchange's own PDQ signal
from scikit-image's sample photos (benign, public), and the seized pictures are byte copies of them.
"""

from __future__ import annotations

import io
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from threatexchange.signal_type.pdq.signal import PdqSignal

from vigilant.cli import run
from vigilant.errors import ExitCode
from vigilant.hashing.digests import PDQ
from vigilant.library.formats import SourceError
from vigilant.library.importer import ImportRequest, import_hash_set
from vigilant.library.records import KnownEntry
from vigilant.library.samples import write_vics
from vigilant.library.service import LibraryService
from vigilant.library.store import LibraryStore
from vigilant.perceptual.pdq import PdqMethod, pdq_of_image
from vigilant.security.rights import Actor
from vigilant.store import Database
from vigilant.triage.records import FileRecord, records_of, to_table
from vigilant.triage.results import iter_records
from vigilant.triage.runner import Progress
from vigilant.triage.service import TriageService
from vigilant.triage.settings import TriageSettings

# The CLI's own actors (Actor.cli: an administrator for no agency, who sees every record).
EXAMINER = Actor.cli("examiner")
ME = Actor.cli("test")

PHOTOS = ("astronaut", "coffee", "chelsea", "rocket", "camera")
SIZES = ((600, 400), (1024, 768), (400, 600), None)  # None: the photo's own size
FORMATS = ("PNG", "JPEG")


def _photo(name: str) -> Image.Image:
    from skimage import data  # noqa: PLC0415 - dev dependency

    values = np.asarray(getattr(data, name)(), np.uint8)
    return Image.fromarray(values[:, :, :3] if values.ndim == 3 else values)


def _seized_pictures(folder: Path) -> dict[str, bytes]:
    """The pictures as files in ``folder``: name -> bytes."""
    folder.mkdir(parents=True)
    files: dict[str, bytes] = {}
    for name in PHOTOS:
        photo = _photo(name)
        for size in SIZES:
            picture = photo if size is None else photo.resize(size, Image.Resampling.BILINEAR)
            for fmt in FORMATS:
                buffer = io.BytesIO()
                picture.save(buffer, fmt, **({"quality": 90} if fmt == "JPEG" else {}))
                label = "own" if size is None else f"{size[0]}x{size[1]}"
                file_name = f"{name}-{label}.{fmt.lower()}"
                files[file_name] = buffer.getvalue()
                (folder / file_name).write_bytes(buffer.getvalue())
    return files


def _import(db: Database, root: Path, name: str, hashes: dict[str, bytes], method: PdqMethod | None) -> None:
    """A list knowing each picture by its PDQ hash only (no digest), imported with ``method`` (None: the
    import's default)."""
    entries = [
        KnownEntry(location=file_name, pdq=pdq, pdq_quality=100, category="1", file_name=file_name)
        for file_name, pdq in hashes.items()
    ]
    path = root / f"{name}.json"
    write_vics(path, entries, version="2.0", form="media")
    request = ImportRequest(path, actor=Actor.cli("t"), name=name, version="1")
    if method is not None:
        request = replace(request, pdq_method=method)
    import_hash_set(LibraryStore(db), request)


def _triage(db: Database, root: Path, folder: Path) -> list[FileRecord]:
    service = TriageService(db, root / "data")
    evidence = service.evidence.add(folder, actor=EXAMINER)
    run_id = service.start(evidence.id, TriageSettings(processes=0), EXAMINER, Progress())
    return [r for r in iter_records(Path(service.status(run_id, ME).results_dir)) if r.is_image]


def _entry_names(db: Database) -> dict[int, str | None]:
    store = LibraryStore(db)
    return {e.id: e.file_name for e in store.iter_entries([s.id for s in store.list_sets()])}


def test_a_byte_copy_lands_within_two_bits_of_a_threatexchange_list(db: Database, tmp_path: Path) -> None:
    files = _seized_pictures(tmp_path / "seized")
    listed = {name: PDQ.parse(PdqSignal.hash_from_bytes(data)) for name, data in files.items()}
    _import(db, tmp_path, "HMA list", listed, None)  # the import's default: the full picture
    records = _triage(db, tmp_path, tmp_path / "seized")
    assert {r.name for r in records} == set(files)
    names = _entry_names(db)
    own = {
        r.name: [h for h in r.hits if h.matched_on == "pdq" and names[h.entry_id] == r.name] for r in records
    }
    distances = {name: [h.distance for h in found] for name, found in own.items()}
    assert all(len(d) == 1 and (d[0] or 0) <= 2 for d in distances.values()), distances
    for record in records:
        assert record.pdq_method == "full"
        assert record.pdq_second is None  # one method needed, one computed
        assert {h.pdq_method for h in record.hits} == {"full"}


def test_sets_of_both_methods_are_each_matched_by_their_own(db: Database, tmp_path: Path) -> None:
    files = _seized_pictures(tmp_path / "seized")
    chosen = {n: d for n, d in files.items() if n.startswith(("coffee", "chelsea"))}
    full = {n: PDQ.parse(PdqSignal.hash_from_bytes(d)) for n, d in chosen.items()}
    at_512 = {n: pdq_of_image(io.BytesIO(d), PdqMethod.DOWNSCALED).hash for n, d in chosen.items()}
    _import(db, tmp_path, "HMA list", full, PdqMethod.FULL)
    _import(db, tmp_path, "C++ list", at_512, PdqMethod.DOWNSCALED)
    records = {r.name: r for r in _triage(db, tmp_path, tmp_path / "seized")}
    names = _entry_names(db)
    for name in chosen:
        record = records[name]
        assert record.pdq_method == "full"
        assert record.pdq_second == at_512[name]  # both computed: the sets differ
        by_set = {h.set_name: h for h in record.hits if h.matched_on == "pdq" and names[h.entry_id] == name}
        assert by_set["HMA list"].pdq_method == "full"
        assert (by_set["HMA list"].distance or 0) <= 2
        assert by_set["C++ list"].pdq_method == "512"
        assert by_set["C++ list"].distance == 0


def test_results_before_version_4_read_as_hashed_at_512_px() -> None:
    record = FileRecord(
        evidence_id=1,
        position=0,
        member=0,
        address="/a.jpg",
        partition=None,
        partition_offset=None,
        filesystem=None,
        path="/a.jpg",
        inode=None,
        attribute=None,
        members=[],
        name="a.jpg",
        extension=".jpg",
        size=1,
        allocated=True,
        pdq=bytes(range(32)),
        pdq_quality=90,
    )
    table = to_table([record])
    old = table.drop_columns(["pdq_method", "pdq_second", "pdq_second_quality"])
    [back] = records_of(old)
    assert back.pdq_method is None
    assert back.pdq_by("512") == (bytes(range(32)), 90)
    assert back.pdq_by("full") is None


def test_the_import_records_and_says_its_pdq_method(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    for path, pdq in ((first, bytes(range(32))), (second, bytes(range(1, 33)))):
        entries = [KnownEntry(location="x", pdq=pdq, pdq_quality=100, category="1")]
        write_vics(path, entries, version="2.0", form="media")
    assert run(["library", "import", str(first), "--name", "A"]) == ExitCode.OK
    assert "PDQ hashes taken as made from the full picture (--pdq-method full)" in capsys.readouterr().out
    assert run(["library", "import", str(second), "--name", "B", "--pdq-method", "512"]) == ExitCode.OK
    assert "made from the picture at 512 px (--pdq-method 512)" in capsys.readouterr().out
    assert run(["library", "list", "--json"]) == ExitCode.OK
    listed = {s["name"]: s["pdq_method"] for s in json.loads(capsys.readouterr().out)}
    assert listed == {"A": "full", "B": "512"}


def test_a_vigilant_export_says_its_method_and_a_reimport_takes_it(db: Database, tmp_path: Path) -> None:
    store = LibraryStore(db)
    _import(db, tmp_path, "C++ list", {"x.jpg": bytes(range(32))}, PdqMethod.DOWNSCALED)
    exported = tmp_path / "exported.json"
    with exported.open("wb") as out:
        LibraryService(store, tmp_path / "idx").export(["C++ list@1"], "vics", out)
    assert '"@Vigilant.PdqMethod": "512"' in exported.read_text()
    taken = import_hash_set(store, ImportRequest(exported, actor=Actor.cli("t"), name="Again", version="1"))
    assert taken.hash_set is not None
    assert taken.hash_set.pdq_method == "512"  # as the file says, not the import's default
    told = import_hash_set(
        store,
        ImportRequest(exported, actor=Actor.cli("t"), name="Told", version="1", pdq_method=PdqMethod.FULL),
    )
    assert told.already_imported  # the same file: nothing changes, whatever the option says
    changed = tmp_path / "changed.json"
    changed.write_text(exported.read_text().replace('"512"', '"9000"'))
    with pytest.raises(SourceError, match="9000"):
        import_hash_set(store, ImportRequest(changed, actor=Actor.cli("t"), name="Odd", version="1"))


def test_a_picture_looked_up_is_hashed_by_each_sets_method(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = _seized_pictures(tmp_path / "pictures")
    name = "coffee-600x400.png"
    full = PDQ.parse(PdqSignal.hash_from_bytes(files[name]))
    at_512 = pdq_of_image(io.BytesIO(files[name]), PdqMethod.DOWNSCALED).hash
    for set_name, pdq, method in (("HMA list", full, "full"), ("C++ list", at_512, "512")):
        path = tmp_path / f"{method}.json"
        write_vics(path, [KnownEntry(location="x", pdq=pdq, pdq_quality=100, category="1")], form="media")
        assert run(["library", "import", str(path), "--name", set_name, "--pdq-method", method]) == 0
    capsys.readouterr()
    assert run(["library", "lookup", "--image", str(tmp_path / "pictures" / name), "--json"]) == 0
    [result] = json.loads(capsys.readouterr().out)
    found = {m["set"]: (m["distance"], m["pdq_method"]) for m in result["matches"]}
    assert found["C++ list"] == (0, "512")
    assert found["HMA list"][1] == "full"
    assert found["HMA list"][0] <= 2
