"""The DFXML export: well-formed whatever the names, one fileobject per record, volumes from the addresses,
valid against the DFXML schema; named streams named as The Sleuth Kit names them, archive members nested
in their archive, true type, extension check and hits in Vigilant's own namespace; on a real NTFS image
with an alternate data stream and a zip inside it."""

from __future__ import annotations

import hashlib
import io
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import fields, replace
from pathlib import Path

import pytest
from lxml import etree

from tests.evidence import make_images as mk
from tests.triage.reports.synthetic import (
    BY_MD5,
    NONCHARACTER_NAME,
    UNICODE_MEMBER,
    content,
    file_record,
    render,
    synthetic_records,
)
from vigilant.library.importer import ImportRequest, import_hash_set
from vigilant.library.records import KnownEntry, SetKind
from vigilant.library.samples import write_sums
from vigilant.library.store import LibraryStore
from vigilant.security.rights import Actor
from vigilant.store import Database
from vigilant.triage.records import FileRecord, Hit
from vigilant.triage.reports import RecordSource, reports
from vigilant.triage.reports.dfxml import DFXML_NS, VIGILANT_NS
from vigilant.triage.results import iter_records
from vigilant.triage.runinfo import RunInfo
from vigilant.triage.runner import Progress
from vigilant.triage.service import TriageService
from vigilant.triage.settings import TriageSettings

# The CLI's own actors (Actor.cli: an administrator for no agency, who sees every record).
EXAMINER = Actor.cli("examiner")
ME = Actor.cli("test")

NS = {"d": DFXML_NS, "v": VIGILANT_NS}
SCHEMA = Path(__file__).parent / "dfxml_schema" / "dfxml.xsd"
ZONE = b"[ZoneTransfer]\r\nZoneId=3\r\n"  # what Windows writes in a download's Zone.Identifier stream


def root_of(run: RunInfo, source: RecordSource) -> ET.Element:
    return ET.fromstring(render(reports()["dfxml"], run, source))


def texts(node: ET.Element, path: str) -> list[str]:
    return [e.text or "" for e in node.findall(path, NS)]


def test_it_parses_and_counts_round_trip(run: RunInfo, source: RecordSource) -> None:
    root = root_of(run, source)
    assert root.tag == f"{{{DFXML_NS}}}dfxml"
    assert root.get("version") == "1.2.0"
    assert texts(root, "d:creator/d:program") == ["Vigilant"]
    assert texts(root, "d:creator/d:version") == ["0.1.0"]
    assert texts(root, "d:source/d:image_filename") == [run.evidence.path]
    volumes = root.findall("d:volume", NS)
    assert [(v.get("offset"), texts(v, "d:ftype_str")) for v in volumes] == [("1048576", ["ntfs"])]
    objects = root.findall(".//d:fileobject", NS)
    records = list(source())
    assert len(objects) == len(records)
    assert texts(root, ".//d:fileobject/d:id") == [f"{r.position}.{r.member}" for r in records]
    assert len(root.findall(".//d:hashdigest[@type='md5']", NS)) == sum(r.md5 is not None for r in records)
    for obj, record in zip(objects, records, strict=True):
        assert texts(obj, "d:filesize") == [str(record.size)]
        assert texts(obj, "d:alloc") == ["1" if record.allocated else "0"]
        assert texts(obj, "d:hashdigest[@type='sha256']") == ([record.sha256.hex()] if record.sha256 else [])


def test_deleted_files_are_marked_unallocated(run: RunInfo, source: RecordSource) -> None:
    deleted = [o for o in root_of(run, source).iter(f"{{{DFXML_NS}}}fileobject") if texts(o, "d:unalloc")]
    assert [texts(o, "d:filename") for o in deleted] == [["/$Recycle.Bin/S-1-5-21/$RABC123.jpg"]]
    assert texts(deleted[0], "d:crtime") == ["2025-03-04T05:06:07.890123Z"]


def test_names_survive_and_control_characters_become_visible_escapes(
    run: RunInfo, source: RecordSource
) -> None:
    data = render(reports()["dfxml"], run, source)
    assert b"\x07" not in data
    names = texts(ET.fromstring(data), ".//d:fileobject/d:filename")
    assert "/tmp/bell\\x07name\\x01\\x0aline.txt" in names
    assert "/Users/kim/Documents/" + NONCHARACTER_NAME.replace("\ufffe", "\\ufffe") in names
    assert UNICODE_MEMBER in names  # a member is named as in its archive, inside the archive's fileobject
    assert "/Users/kim/Desktop/<script>alert(1)</script>.jpg" in names


def test_a_folder_source_has_no_volume(run: RunInfo, source: RecordSource) -> None:
    def folder() -> RecordSource:
        return lambda: (
            replace(r, partition=None, partition_offset=None, filesystem="directory", inode=None)
            for r in source()
        )

    root = root_of(replace(run, evidence=replace(run.evidence, source_type="directory")), folder())
    assert root.findall("d:volume", NS) == []
    assert len(root.findall(".//d:fileobject", NS)) == 20
    assert len(root.findall("d:fileobject", NS)) == 16  # the archive's 4 members are inside it
    assert root.findall(".//d:partition", NS) == []
    assert root.findall(".//d:inode", NS) == []


# --- the DFXML schema, named streams, archive members, types and hits ---------------------------------------
def validate(data: bytes) -> etree._Element:
    """The document, after checking it and each of its fileobjects against the DFXML schema.

    Each fileobject is also checked on its own, as a document of its own: the schema admits Vigilant's
    elements through lax wildcards, and this makes sure that what nests inside them is DFXML too.
    """
    schema = etree.XMLSchema(etree.parse(str(SCHEMA)))
    document = etree.fromstring(data)
    schema.assertValid(document)
    for obj in document.iter(f"{{{DFXML_NS}}}fileobject"):
        schema.assertValid(etree.fromstring(etree.tostring(obj)))
    return document


def with_streams() -> RecordSource:
    """The synthetic records, with a named stream on the known picture (a Zone.Identifier, as a download
    gets) and a picture hidden in a folder's stream, each placed after its file as the walk places them."""
    records = synthetic_records()
    picture = records[0]
    zone = replace(
        picture,
        position=100,  # each stream is an entry of its own in the walk
        attribute="Zone.Identifier",
        address=picture.address.replace(")", "):Zone.Identifier", 1),
        size=26,
        md5=hashlib.md5(ZONE).digest(),
        sha1=hashlib.sha1(ZONE).digest(),
        sha256=hashlib.sha256(ZONE).digest(),
        mime="text/plain",
        magic="ASCII text, with CRLF line terminators",
        is_image=False,
        pdq=None,
        pdq_quality=None,
        hits=[],
        known_bad=False,
        top_class=None,
        top_severity=None,
    )
    hidden = file_record(
        101,
        "/Windows",
        content("hidden picture"),
        attribute="cache",
        mime="image/jpeg",
        extension_mismatch=True,
    )
    out = [*records[:1], zone, *records[1:2], hidden, *records[2:]]
    return lambda: iter(out)


def children_named(node: etree._Element, filename: str) -> list[etree._Element]:
    return [o for o in node.iterfind(".//d:fileobject", NS) if o.findtext("d:filename", None, NS) == filename]


def test_the_export_is_valid_against_the_dfxml_schema(run: RunInfo, source: RecordSource) -> None:
    validate(render(reports()["dfxml"], run, source))
    validate(render(reports()["dfxml"], run, with_streams()))


def test_the_schema_check_catches_a_misplaced_element_even_inside_a_member(
    run: RunInfo, source: RecordSource
) -> None:
    data = render(reports()["dfxml"], run, source)
    # An element the schema does not allow there, in a member nested inside Vigilant's members element.
    broken = data.replace(
        b"<filename>photos/a.jpg</filename>", b"<filename>photos/a.jpg</filename><alloc>2</alloc>"
    )
    assert broken != data
    with pytest.raises(etree.DocumentInvalid):
        validate(broken)


def test_named_streams_are_named_as_the_sleuth_kit_names_them(run: RunInfo) -> None:
    root = validate(render(reports()["dfxml"], run, with_streams()))
    names = [o.findtext("d:filename", None, NS) for o in root.iterfind(".//d:fileobject", NS)]
    assert len(names) == len(set(names)), "two fileobjects with one name"
    [default] = children_named(root, "/Users/kim/Pictures/IMG_0001.jpg")
    [zone] = children_named(root, "/Users/kim/Pictures/IMG_0001.jpg:Zone.Identifier")
    assert default.findtext("v:stream", None, NS) is None
    assert zone.findtext("v:stream", None, NS) == "Zone.Identifier"
    assert zone.findtext("d:inode", None, NS) == default.findtext("d:inode", None, NS)
    assert zone.findtext("d:filesize", None, NS) == "26"
    [hidden] = children_named(root, "/Windows:cache")
    assert hidden.findtext("v:stream", None, NS) == "cache"
    assert hidden.findtext("v:mime", None, NS) == "image/jpeg"


def test_archive_members_nest_inside_their_archive(run: RunInfo, source: RecordSource) -> None:
    root = validate(render(reports()["dfxml"], run, source))
    names = [o.findtext("d:filename", None, NS) for o in root.iterfind(".//d:fileobject", NS)]
    assert not [n for n in names if "archive.zip/" in (n or "")], "members look like files in a folder"
    [archive] = children_named(root, "/Users/kim/Downloads/archive.zip")
    members = archive.findall("v:members/d:fileobject", NS)
    assert [m.findtext("d:filename", None, NS) for m in members] == [
        "photos/a.jpg",
        "secret.jpg",
        "inner.zip",
    ]
    inner = members[2]
    assert [m.findtext("d:filename", None, NS) for m in inner.findall("v:members/d:fileobject", NS)] == [
        UNICODE_MEMBER
    ]
    assert [m.findtext("d:id", None, NS) for m in root.iterfind(".//d:fileobject", NS) if m in members] == [
        "4.1",
        "4.2",
        "4.3",
    ]
    # A member is no file-system object: it has no inode of its own (the archive's is on the archive).
    assert members[0].find("d:inode", NS) is None
    assert archive.findtext("d:inode", None, NS) == "1004"
    # Members sit inside the archive in no other way: the archive's own fields come first.
    assert archive[-1].tag == f"{{{VIGILANT_NS}}}members"
    [secret] = children_named(root, "secret.jpg")
    assert secret.findtext("v:status", None, NS) == "encrypted"


def test_true_type_and_extension_check_are_extension_elements(run: RunInfo, source: RecordSource) -> None:
    root = validate(render(reports()["dfxml"], run, source))
    [notes] = children_named(root, "/Users/kim/Documents/notes.txt")
    assert notes.findtext("v:mime", None, NS) == "image/png"
    assert notes.findtext("v:extension_mismatch", None, NS) == "1"
    [picture] = children_named(root, "/Users/kim/Pictures/IMG_0001.jpg")
    assert picture.findtext("v:mime", None, NS) == "image/jpeg"
    assert picture.findtext("v:extension_mismatch", None, NS) == "0"
    [unread] = children_named(root, "/bad/sector.jpg")
    assert unread.find("v:mime", NS) is None  # never read: no type to state
    assert unread.findtext("d:error", None, NS) == "read error at 4096: <bad>"
    assert unread.findtext("v:status", None, NS) == "unreadable"


def test_hits_carry_every_field_of_the_hit_record(run: RunInfo, source: RecordSource) -> None:
    root = validate(render(reports()["dfxml"], run, source))
    records = list(source())
    objects = list(root.iterfind(".//d:fileobject", NS))
    assert len(objects) == len(records)
    seen = 0
    for obj, record in zip(objects, records, strict=True):
        hits = obj.findall("v:hits/v:hit", NS)
        assert len(hits) == len(record.hits)
        for element, hit in zip(hits, record.hits, strict=True):
            for f in fields(Hit):
                value = getattr(hit, f.name)
                assert element.get(f.name) == (None if value is None else str(value)), f.name
            seen += 1
    assert seen == sum(len(r.hits) for r in records) > 0
    [known] = children_named(root, "/Users/kim/Pictures/IMG_0001.jpg")
    [hit] = known.findall("v:hits/v:hit", NS)
    assert (hit.get("set_name"), hit.get("matched_on"), hit.get("entry_id")) == (
        BY_MD5.set_name,
        "md5",
        str(BY_MD5.entry_id),
    )


@pytest.mark.slow
def test_an_ntfs_image_with_a_named_stream_and_a_zip(db: Database, tmp_path: Path) -> None:
    built = mk.make_ntfs(tmp_path)  # holds /pictures/photo.jpg:summary and the folder stream /docs:hidden
    holiday = mk.picture(900, "JPEG")
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as z:
        z.writestr("deep.txt", mk.text(901, 2))
    album = tmp_path / "album.zip"
    with zipfile.ZipFile(album, "w") as z:
        z.writestr("holiday/pic.jpg", holiday)
        z.writestr("inner.zip", inner.getvalue())
    mk.run("ntfscp", "-q", built.path, album, "/pictures/album.zip")
    known = tmp_path / "known.md5"
    write_sums(known, [KnownEntry(location="k", md5=hashlib.md5(holiday).digest(), file_name="pic.jpg")])
    import_hash_set(
        LibraryStore(db),
        ImportRequest(known, actor=Actor.cli("t"), name="Known", version="1", kind=SetKind.KNOWN_BAD),
    )
    service = TriageService(db, tmp_path / "data")
    evidence = service.evidence.add(built.path, actor=EXAMINER)
    run_id = service.start(evidence.id, TriageSettings(batch_files=4), EXAMINER, Progress())
    out = io.BytesIO()
    service.report(run_id, "dfxml", out, actor=EXAMINER)
    root = validate(out.getvalue())

    records: list[FileRecord] = list(iter_records(Path(service.status(run_id, ME).results_dir)))
    assert len(list(root.iterfind(".//d:fileobject", NS))) == len(records)
    [volume] = root.findall("d:volume", NS)
    top = [o.findtext("d:filename", None, NS) for o in volume.findall("d:fileobject", NS)]
    assert len(top) == len(set(top)), "two fileobjects with one name"
    [photo] = children_named(root, "/pictures/photo.jpg")
    [summary] = children_named(root, "/pictures/photo.jpg:summary")
    assert summary.findtext("v:stream", None, NS) == "summary"
    assert (
        summary.findtext("d:hashdigest[@type='md5']", None, NS)
        == hashlib.md5(built.files["pictures/photo.jpg:summary"]).hexdigest()
    )
    assert (
        photo.findtext("d:hashdigest[@type='md5']", None, NS)
        == hashlib.md5(built.files["pictures/photo.jpg"]).hexdigest()
    )
    assert photo.findtext("v:mime", None, NS) == "image/jpeg"
    assert summary.findtext("v:mime", None, NS) == "text/plain"
    [hidden] = children_named(root, "/docs:hidden")
    assert hidden.findtext("v:stream", None, NS) == "hidden"
    # A stream is checked by its own name: text in photo.jpg:summary is not "text named .jpg".
    assert summary.findtext("v:extension_mismatch", None, NS) == "0"
    assert photo.findtext("v:extension_mismatch", None, NS) == "0"

    assert not [n for n in top if "album.zip/" in (n or "")]
    [archive] = children_named(root, "/pictures/album.zip")
    assert archive.findtext("v:mime", None, NS) == "application/zip"
    members = archive.findall("v:members/d:fileobject", NS)
    assert [m.findtext("d:filename", None, NS) for m in members] == ["holiday/pic.jpg", "inner.zip"]
    pic, nested = members
    assert pic.findtext("v:mime", None, NS) == "image/jpeg"
    assert pic.findtext("d:hashdigest[@type='md5']", None, NS) == hashlib.md5(holiday).hexdigest()
    [hit] = pic.findall("v:hits/v:hit", NS)
    assert (hit.get("set_name"), hit.get("set_kind"), hit.get("matched_on")) == ("Known", "known-bad", "md5")
    assert [m.findtext("d:filename", None, NS) for m in nested.findall("v:members/d:fileobject", NS)] == [
        "deep.txt"
    ]
