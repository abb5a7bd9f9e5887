"""DFXML 1.2: one ``<fileobject>`` per record, written element by element as the records stream by.

Records of one partition / file system are grouped in a ``<volume>`` (its byte offset and file-system
type), as fiwalk does; a folder source has no volume and its file objects sit at the top. ``id`` is
``position.member``, the record's key in the results. ``partition`` is the partition-table slot number
exactly as the record's address gives it.

Names, as The Sleuth Kit's tools give them: ``filename`` is the path in the file system; an NTFS named
data stream (alternate data stream) is a fileobject of its own named ``path:stream``, as ``fls`` and
Autopsy name it, beside the file's default stream (DFXML has no element for streams; fiwalk reports the
default stream only).

Archive members nest: DFXML's objects contain what they hold (a volume its files), but a fileobject has
no element for files inside it, so the members are fileobjects inside the archive's fileobject, wrapped
in Vigilant's ``<vigilant:members>`` element. A member is named as in its archive (``photos/1.jpg``),
and has no ``inode`` (the archive has). A reader that knows only DFXML sees each archive as one file
with its digests; the schema's lax wildcard still checks every nested fileobject as DFXML.

Vigilant's elements, in the namespace ``urn:vigilant:dfxml:1`` (prefix ``vigilant``), come after the
DFXML children of a fileobject, where the schema admits other namespaces: ``stream`` (the named stream),
``status`` (when not ``ok``: ``encrypted``, ``unreadable``, ``reallocated``, ``error``; the reason is in
DFXML's ``error``), ``mime`` (the true type, libmagic's MIME type) with ``extension_mismatch`` (``1``
when the name's extension contradicts it: vigilant.triage.identify), ``hits`` (one ``hit`` per library
entry that matched, every field of the hit record as an attribute of the same name), then ``members``.

Checked in the tests against the DFXML schema 2.0.0-beta.0 (the first whose content models a validator
accepts; the document uses 1.2.0's elements only, see tests/triage/reports/dfxml_schema/dfxml.xsd).

XML 1.0 cannot carry most control characters at all, even as character references, so they are written
as visible escapes (``\\x07``, see :func:`visible`); every other character, all of Unicode, is kept.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import fields
from datetime import datetime
from typing import BinaryIO
from xml.sax.saxutils import escape, quoteattr

from vigilant.triage.records import FileRecord, Hit
from vigilant.triage.reports._sink import TextSink
from vigilant.triage.reports._text import iso_utc, split_tool, visible
from vigilant.triage.reports.base import RecordSource
from vigilant.triage.runinfo import RunInfo

DFXML_NS = "http://www.forensicswiki.org/wiki/Category:Digital_Forensics_XML"
DC_NS = "http://purl.org/dc/elements/1.1/"
VIGILANT_NS = "urn:vigilant:dfxml:1"
DFXML_VERSION = "1.2.0"

# (volume offset, partition slot, file-system type) of the volume a record belongs to; None: no volume.
VolumeKey = tuple[int | None, int | None, str | None]


class DfxmlReport:
    name = "dfxml"
    title = "DFXML 1.2 file listing"
    suffix = ".xml"

    def write(self, run: RunInfo, records: RecordSource, out: BinaryIO) -> None:
        sink = TextSink(out)
        program, version = split_tool(run.tool)
        head = [
            '<?xml version="1.0" encoding="UTF-8"?>',
            f"<dfxml xmlns={quoteattr(DFXML_NS)} xmlns:dc={quoteattr(DC_NS)}"
            f" xmlns:vigilant={quoteattr(VIGILANT_NS)} version={quoteattr(DFXML_VERSION)}>",
            "  <metadata>",
            "    <dc:type>Triage file listing</dc:type>",
            "  </metadata>",
            "  <creator>",
            f"    {_element('program', program)}",
            *([f"    {_element('version', version)}"] if version else []),
            "  </creator>",
            "  <source>",
            f"    {_element('image_filename', run.evidence.path)}",
            "  </source>",
            *_unread_comments(run),
        ]
        sink.write("\n".join(head) + "\n")
        volume: VolumeKey | None = None
        open_objects = _OpenObjects(sink)
        for record in records():
            open_objects.close_until_inside(record)
            key = volume_of(record)
            if not open_objects and key != volume:  # a member is always in its archive's volume
                if volume is not None:
                    sink.write("  </volume>\n")
                if key is not None:
                    sink.write(_volume_start(key))
                volume = key
            open_objects.open(record, "    " if volume is not None else "  ")
        open_objects.close_until_inside(None)
        if volume is not None:
            sink.write("  </volume>\n")
        sink.write("</dfxml>\n")
        sink.flush()


class _OpenObjects:
    """The fileobjects still open: a file, and the archive members being listed inside it (outermost first).

    Records come in walk order, an archive's members right after it, a nested archive's members right after
    that one: a fileobject stays open until a record arrives that it does not contain.
    """

    def __init__(self, sink: TextSink) -> None:
        self._sink = sink
        self._stack: list[tuple[FileRecord, str, bool]] = []  # (record, indent, members element opened)

    def __bool__(self) -> bool:
        return bool(self._stack)

    def close_until_inside(self, record: FileRecord | None) -> None:
        """Close the open fileobjects that do not contain ``record`` (all of them for None)."""
        while self._stack and (record is None or not _contains(self._stack[-1][0], record)):
            _, indent, listed = self._stack.pop()
            if listed:
                self._sink.write(f"{indent}  </vigilant:members>\n")
            self._sink.write(f"{indent}</fileobject>\n")

    def open(self, record: FileRecord, top_indent: str) -> None:
        indent, nested = top_indent, False
        if self._stack:
            container, container_indent, listed = self._stack[-1]
            if not listed:
                self._sink.write(f"{container_indent}  <vigilant:members>\n")
                self._stack[-1] = (container, container_indent, True)
            indent, nested = container_indent + "    ", True
        self._sink.write(_fileobject_start(record, indent, nested))
        self._stack.append((record, indent, False))


def _contains(container: FileRecord, record: FileRecord) -> bool:
    """Whether ``record`` is a member listed directly in the archive ``container``."""
    return (
        record.position == container.position
        and len(record.members) == len(container.members) + 1
        and record.members[:-1] == container.members
    )


def _unread_comments(run: RunInfo) -> list[str]:
    """What of the evidence the run could not read, as XML comments (the schema has no element for it)."""
    lines = run.coverage.lines() if run.coverage is not None else []
    # "--" may not appear inside an XML comment.
    return [f"  <!-- NOT READ: {visible(line).replace('--', '- -')} -->" for line in lines]


def volume_of(record: FileRecord) -> VolumeKey | None:
    if (
        record.partition is None
        and record.partition_offset is None
        and record.filesystem in (None, "directory")
    ):
        return None
    return (record.partition_offset, record.partition, record.filesystem)


def _volume_start(key: VolumeKey) -> str:
    offset, _, filesystem = key
    attribute = "" if offset is None else f" offset={quoteattr(str(offset))}"
    inner = "" if filesystem is None else f"    {_element('ftype_str', filesystem)}\n"
    return f"  <volume{attribute}>\n{inner}"


def fileobject(record: FileRecord, indent: str) -> str:
    """One closed ``<fileobject>`` at the top of its volume (its members, if any, are not in it)."""
    return f"{_fileobject_start(record, indent, nested=False)}{indent}</fileobject>\n"


def _fileobject_start(record: FileRecord, indent: str, nested: bool) -> str:
    """A ``<fileobject>`` and its children, left open for its members: DFXML's children in the order the
    schema's sequence requires, then Vigilant's (see the module's notes)."""
    children: list[str] = [_element("filename", dfxml_name(record, nested))]
    if record.error:
        children.append(_element("error", record.error))
    if record.partition is not None:
        children.append(_element("partition", str(record.partition)))
    children.append(_element("id", f"{record.position}.{record.member}"))
    children.append(_element("name_type", "r"))  # evidence sources list regular files only
    children.append(_element("filesize", str(record.size)))
    if not record.allocated:
        children.append(_element("unalloc", "1"))
    children.append(_element("alloc", "1" if record.allocated else "0"))
    if record.inode is not None and not record.members:  # a member has no inode: the archive has
        children.append(_element("inode", str(record.inode)))
    children.extend(_times(record))
    if record.magic:
        children.append(_element("libmagic", record.magic))
    for kind, value in (("md5", record.md5), ("sha1", record.sha1), ("sha256", record.sha256)):
        if value is not None:
            children.append(f'<hashdigest type="{kind}">{value.hex()}</hashdigest>')
    children.extend(_vigilant_children(record))
    inner = "".join(f"{indent}  {child}\n" for child in children)
    return f"{indent}<fileobject>\n{inner}"


def dfxml_name(record: FileRecord, nested: bool) -> str:
    """``filename``: the path, ``:stream`` for a named stream as The Sleuth Kit names it; a member nested in
    its archive's fileobject is named as in the archive (the full chain when its archive is not listed)."""
    if nested:
        return record.members[-1]
    name = record.path if record.attribute is None else f"{record.path}:{record.attribute}"
    return "/".join([name.rstrip("/"), *record.members]) if record.members else name


def _vigilant_children(record: FileRecord) -> list[str]:
    """Vigilant's elements: stream name, status, true type and extension check, hits (members come last)."""
    children: list[str] = []
    if record.attribute is not None:
        children.append(_element("vigilant:stream", record.attribute))
    if record.status != "ok":
        children.append(_element("vigilant:status", record.status))
    if record.mime:
        children.append(_element("vigilant:mime", record.mime))
        children.append(_element("vigilant:extension_mismatch", "1" if record.extension_mismatch else "0"))
    if record.hits:
        hits = "".join(f"<vigilant:hit{_hit_attributes(hit)}/>" for hit in record.hits)
        children.append(f"<vigilant:hits>{hits}</vigilant:hits>")
    return children


def _hit_attributes(hit: Hit) -> str:
    """Every field of the hit record, by its name, in the record's order; an empty field is left out."""
    parts = []
    for f in fields(hit):
        value = getattr(hit, f.name)
        if value is None:
            continue
        text = value.hex() if isinstance(value, bytes) else str(value)
        parts.append(f" {f.name}={quoteattr(visible(text))}")
    return "".join(parts)


def _times(record: FileRecord) -> Iterable[str]:
    moments: tuple[tuple[str, datetime | None], ...] = (
        ("mtime", record.modified),
        ("ctime", record.changed),
        ("atime", record.accessed),
        ("crtime", record.created),
    )
    return [_element(tag, iso_utc(moment)) for tag, moment in moments if moment is not None]


def _element(tag: str, text: str) -> str:
    return f"<{tag}>{escape(visible(text))}</{tag}>"
