"""How the writers turn record values into text. File names come from seized media: every one is hostile.

- :func:`visible` makes control characters visible, so that a name can neither break an XML document nor
  hide part of itself on an examiner's screen.
- :func:`spreadsheet_safe` stops a spreadsheet from running a name as a formula.
- :func:`single_line` keeps line-oriented formats one record a line.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

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


def hit_label(hit: Hit) -> str:
    """``set@version:matched_on[:detail]:category``; the category part is empty when there is none.

    The detail is there exactly when ``matched_on`` is ``pdq`` or ``vpdq``, so the fields always parse back:
    for ``pdq`` the distance, to which a video frame's match adds its time, ``12@3.000s``; for ``vpdq`` (a
    video matched as a whole with a known video) vPDQ's two figures, ``92.0%/88.0%``: the share of the
    video's frames found in the known video, then the share of the known video's found in the video.
    """
    parts = [f"{hit.set_name}@{hit.set_version}", hit.matched_on]
    if hit.matched_on == "pdq":
        distance = "" if hit.distance is None else str(hit.distance)
        parts.append(distance if hit.frame_seconds is None else f"{distance}@{hit.frame_seconds:.3f}s")
    elif hit.matched_on == "vpdq":
        parts.append(f"{_percent(hit.query_match_percent)}%/{_percent(hit.compared_match_percent)}%")
    parts.append(hit.category or "")
    return ":".join(parts)


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
