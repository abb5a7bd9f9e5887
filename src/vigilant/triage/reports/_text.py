"""How the writers turn record values into text. File names come from seized media: every one is hostile.

- :func:`visible` makes control characters visible, so that a name can neither break an XML document nor
  hide part of itself on an examiner's screen.
- :func:`spreadsheet_safe` stops a spreadsheet from running a name as a formula.
- :func:`single_line` keeps line-oriented formats one record a line.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from vigilant.perceptual.pdq import PdqMethod
from vigilant.triage.records import FileRecord, Hit

# C0 controls (tab, line feed and carriage return too: in a file name they are as surprising as a bell, and
# an XML parser would normalise a CR away), DEL, C1 controls, lone surrogates and the two non-characters that
# XML 1.0 forbids. Everything else, all of Unicode included, is kept as it is.
_INVISIBLE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str) -> str:
    """``text`` with each control or XML-illegal character written as a Python-style escape (``\\x07``).

    The escape is text, not markup: a name that really contains a backslash followed by ``x07`` reads the
    same. The Parquet results and the CSV export keep the exact name.
    """
    return _INVISIBLE.sub(_escape, text)


def spreadsheet_safe(text: str | None) -> str:
    """A cell a spreadsheet shows as text: a leading ``'`` where it would otherwise start a formula."""
    if not text:
        return ""
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def single_line(text: str) -> str:
    return text.replace("\r", " ").replace("\n", " ")


def iso_utc(moment: datetime) -> str:
    """ISO 8601 in UTC with a ``Z`` (times without a zone are UTC already, as records keep them)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def split_tool(tool: str) -> tuple[str, str | None]:
    """("Vigilant", "0.1.0") from "Vigilant 0.1.0"; a tool string without a version is all name."""
    name, _, version = tool.rpartition(" ")
    return (name, version) if name else (tool, None)


def hex_or_empty(value: bytes | None) -> str:
    return "" if value is None else value.hex()


def member_path(record: FileRecord) -> str:
    """The file's path, with archive members appended as if the archive were a folder (as Autopsy shows
    them): ``/docs/a.zip/photos/1.jpg``. The record's ``address`` says exactly where the boundary lies."""
    if not record.members:
        return record.path
    return "/".join([record.path.rstrip("/"), *record.members])


PERCEPTUAL = ("pdq", "vpdq")  # hits that matched no digest of the file: they must say which entry matched


def hit_label(hit: Hit) -> str:
    """``set@version:matched_on[:detail]:category[:#entry]``; the category part is empty when there is none.

    The detail and the entry are there exactly when ``matched_on`` is ``pdq`` or ``vpdq``, so the fields
    always parse back: for ``pdq`` the distance, to which a video frame's match adds its time,
    ``12@3.000s``, and the PDQ method of the hashes compared, ``12/full``; for ``vpdq`` (a video matched as a
    whole with a known video) vPDQ's two figures, ``92.0%/88.0%``: the share of the video's frames found in
    the known video, then the share of the known video's found in the video. The entry is the library
    entry's id, ``#42``: the CSV's ``matched_entries`` column says what the library holds of it.
    """
    parts = [f"{hit.set_name}@{hit.set_version}", hit.matched_on]
    if hit.matched_on == "pdq":
        distance = "" if hit.distance is None else str(hit.distance)
        detail = distance if hit.frame_seconds is None else f"{distance}@{hit.frame_seconds:.3f}s"
        parts.append(detail if hit.pdq_method is None else f"{detail}/{hit.pdq_method}")
    elif hit.matched_on == "vpdq":
        parts.append(f"{_percent(hit.query_match_percent)}%/{_percent(hit.compared_match_percent)}%")
    parts.append(hit.category or "")
    if hit.matched_on in PERCEPTUAL:
        parts.append(f"#{hit.entry_id}")
    return ":".join(parts)


def method_label(hit: Hit) -> str | None:
    """How the PDQ hashes a hit compared were made, in words ("full picture", "picture at 512 px")."""
    if hit.pdq_method is None:
        return None
    try:
        return PdqMethod(hit.pdq_method).label
    except ValueError:  # a method this version does not know: say it as it is
        return hit.pdq_method


def entry_text(hit: Hit) -> str:
    """The library entry a hit matched, as the library holds it: ``entry 42 "IMG_3.jpg", series S,
    publisher's category "B"; MD5 …, SHA-1 …, SHA-256 …, PDQ …`` (what is not known is left out)."""
    about = [f"entry {hit.entry_id}" + (f' "{hit.entry_name}"' if hit.entry_name else "")]
    if hit.series:
        about.append(f"series {hit.series}")
    if hit.publisher_label:
        about.append(f'publisher\'s category "{hit.publisher_label}"')
    hashes = [
        f"{name} {value.hex()}"
        for name, value in (
            ("MD5", hit.entry_md5),
            ("SHA-1", hit.entry_sha1),
            ("SHA-256", hit.entry_sha256),
            ("PDQ", hit.entry_pdq),
        )
        if value is not None
    ]
    return ", ".join(about) + ("; " + ", ".join(hashes) if hashes else "")


def entry_json(hit: Hit) -> dict[str, object]:
    """The matched entry as a JSON object (hashes in hex), for the formats that carry structured data."""
    return {
        "set": hit.set_name,
        "version": hit.set_version,
        "entry_id": hit.entry_id,
        "matched_on": hit.matched_on,
        "distance": hit.distance,
        "pdq_method": hit.pdq_method,
        "name": hit.entry_name,
        "series": hit.series,
        "category": hit.category,
        "category_label": hit.category_label,
        "publisher_label": hit.publisher_label,
        "md5": hex_or_none(hit.entry_md5),
        "sha1": hex_or_none(hit.entry_sha1),
        "sha256": hex_or_none(hit.entry_sha256),
        "pdq": hex_or_none(hit.entry_pdq),
    }


def hex_or_none(value: bytes | None) -> str | None:
    return None if value is None else value.hex()


def match_sentence(hit: Hit) -> str:
    """How a hit matched, in words, with the entry for a perceptual one: ``PDQ at distance 8 (full
    picture) at frame 75, 3.000 s, entry 42 "x.jpg"; MD5 …`` or ``MD5``."""
    if hit.matched_on not in PERCEPTUAL:
        return hit.matched_on.upper() + frame_note(hit)
    how = vpdq_text(hit)
    if how is None:
        distance = "" if hit.distance is None else f" at distance {hit.distance}"
        method = method_label(hit)
        how = f"PDQ{distance}" + (f" ({method})" if method else "")
    return f"{how}{frame_note(hit)}, {entry_text(hit)}"


def _percent(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def vpdq_text(hit: Hit) -> str | None:
    """For a video matched as a whole with a known video, vPDQ's two figures in words; else ``None``."""
    if hit.query_match_percent is None or hit.compared_match_percent is None:
        return None
    return (
        f"vPDQ {hit.query_match_percent:.1f} % of the video found in the known video,"
        f" {hit.compared_match_percent:.1f} % of the known video found"
    )


def frame_note(hit: Hit) -> str:
    """Where in a video the matching frame is (`` at frame 75, 3.000 s``), or nothing for a still file."""
    if hit.frame_seconds is None:
        return ""
    return f" at frame {hit.frame}, {hit.frame_seconds:.3f} s"


def hit_order(hit: Hit) -> tuple[int, str, str, str, int, int]:
    """Most severe first, then by set and how it matched: the same hits always list the same way."""
    distance = -1 if hit.distance is None else hit.distance
    return (-hit.severity, hit.set_name, hit.set_version, hit.matched_on, distance, hit.entry_id)
