"""DFXML 1.2: one ``<fileobject>`` per record, written element by element as the records stream by.

Records of one partition / file system are grouped in a ``<volume>`` (its byte offset and file-system
type), as fiwalk does; a folder source has no volume and its file objects sit at the top. ``filename`` is
the path in the file system, with archive members appended as if the archive were a folder
(``/a.zip/inner.jpg``); ``id`` is ``position.member``, the record's key in the results. ``partition`` is
the partition-table slot number exactly as the record's address gives it.

XML 1.0 cannot carry most control characters at all, even as character references, so they are written
as visible escapes (``\\x07``, see :func:`visible`); every other character, all of Unicode, is kept.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import BinaryIO
from xml.sax.saxutils import escape, quoteattr

from vigilant.triage.records import FileRecord
from vigilant.triage.reports._sink import TextSink
from vigilant.triage.reports._text import iso_utc, member_path, split_tool, visible
from vigilant.triage.reports.base import RecordSource
from vigilant.triage.runinfo import RunInfo

DFXML_NS = "http://www.forensicswiki.org/wiki/Category:Digital_Forensics_XML"
DC_NS = "http://purl.org/dc/elements/1.1/"
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
            f" version={quoteattr(DFXML_VERSION)}>",
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
        ]
        sink.write("\n".join(head) + "\n")
        volume: VolumeKey | None = None
        for record in records():
            key = volume_of(record)
            if key != volume:
                if volume is not None:
                    sink.write("  </volume>\n")
                if key is not None:
                    sink.write(_volume_start(key))
                volume = key
            indent = "    " if volume is not None else "  "
            sink.write(fileobject(record, indent))
        if volume is not None:
            sink.write("  </volume>\n")
        sink.write("</dfxml>\n")
        sink.flush()


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
    """One ``<fileobject>``, children in the order the DFXML schema's sequence requires."""
    children: list[str] = [_element("filename", member_path(record))]
    if record.partition is not None:
        children.append(_element("partition", str(record.partition)))
    children.append(_element("id", f"{record.position}.{record.member}"))
    children.append(_element("name_type", "r"))  # evidence sources list regular files only
    children.append(_element("filesize", str(record.size)))
    if not record.allocated:
        children.append(_element("unalloc", "1"))
    children.append(_element("alloc", "1" if record.allocated else "0"))
    if record.inode is not None:
        children.append(_element("inode", str(record.inode)))
    children.extend(_times(record))
    if record.magic:
        children.append(_element("libmagic", record.magic))
    for kind, value in (("md5", record.md5), ("sha1", record.sha1), ("sha256", record.sha256)):
        if value is not None:
            children.append(f'<hashdigest type="{kind}">{value.hex()}</hashdigest>')
    inner = "".join(f"{indent}  {child}\n" for child in children)
    return f"{indent}<fileobject>\n{inner}{indent}</fileobject>\n"


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
