"""Known videos by their vPDQ hash: JSON lines, one known video a line.

Each line is a JSON object::

    {"vpdq": [{"quality": 100, "hash": "<64 hex>", "timestamp": 0.0}, …],
     "md5": "…", "sha1": "…", "sha256": "…", "category": "1", "series": "…", "name": "clip.mp4"}

``vpdq`` is the video's vPDQ hash, a PDQ hash per second of video, in one of two forms:

- python-threatexchange's serialization: a list of ``{"quality", "hash", "timestamp"}`` objects (or that
  list as JSON text); a frame's number is its place in the list;
- the lines Meta's ``vpdq`` tools write, ``frame,hexhash,quality,timestamp``, as a list of strings.

Everything else is optional: the file digests (the video is then also found by its exact bytes), the category
code (read through the set's profile), ``publisher_category`` (the list's own label for it), the series and
the file name. A line that is not such an object, or
whose hash has a bad frame (hash not 64 hex digits, quality not 0..100, time not a number of seconds), is
refused with its line number; the rest of the file imports. The format does not say what kind of set it is:
give ``--kind``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from vigilant.hashing.digests import MD5, PDQ, SHA1, SHA256, InvalidDigestError
from vigilant.library.formats import _fields as f
from vigilant.library.formats._lines import Line, head_lines, read_lines
from vigilant.library.formats.base import ReaderOptions, ReadItem
from vigilant.library.records import KnownEntry, SetHints
from vigilant.perceptual.vpdq import TIMESTAMP_DIGITS, FrameHash

_KEYS = frozenset({"vpdq", "md5", "sha1", "sha256", "category", "publisher_category", "series", "name"})


class VpdqReader:
    name = "vpdq"
    title = "known videos by vPDQ hash (JSON lines)"

    def sniff(self, path: Path, head: bytes) -> bool:
        lines = [line.strip() for line in head_lines(head, limit=5) if line.strip()]
        return bool(lines) and lines[0].startswith("{") and '"vpdq"' in lines[0]

    def hints(self, path: Path, options: ReaderOptions) -> SetHints:
        return SetHints()

    def read(self, path: Path, options: ReaderOptions) -> Iterator[ReadItem]:
        for line in read_lines(path, options.encoding):
            if not line.text.strip():
                continue
            try:
                yield _entry(line)
            except f.Refused as refused:
                yield refused.at(line.location)


def _entry(line: Line) -> KnownEntry:
    if line.decode_error is not None:
        raise f.Refused("bad-encoding", line.decode_error)
    try:
        row = json.loads(line.text)
    except json.JSONDecodeError as exc:
        raise f.Refused("bad-json", f"not JSON: {exc.msg} at column {exc.colno}") from None
    if not isinstance(row, dict):
        raise f.Refused("bad-line", f"a {type(row).__name__}, not a JSON object")
    if "vpdq" not in row:
        raise f.Refused("no-vpdq", "the line has no 'vpdq' hash")
    unknown = sorted(set(row) - _KEYS)
    extra = {key: row[key] for key in unknown}
    return KnownEntry(
        location=line.location,
        md5=f.digest(MD5, row.get("md5")),
        sha1=f.digest(SHA1, row.get("sha1")),
        sha256=f.digest(SHA256, row.get("sha256")),
        category=f.category(row.get("category")),
        category_label=f.text(row.get("publisher_category"), "publisher-category"),
        series=f.text(row.get("series"), "series"),
        file_name=f.text(row.get("name"), "name"),
        extra=extra,
        video_frames=frames_of(row["vpdq"]),
    )


def frames_of(value: object) -> tuple[FrameHash, ...]:
    """A vPDQ hash in either form (see the module's notes), checked frame by frame."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise f.Refused("bad-vpdq", f"vpdq text is not JSON: {exc.msg}") from None
    if not isinstance(value, list):
        raise f.Refused("bad-vpdq", f"vpdq is a {type(value).__name__}, not a list of frames")
    if not value:
        raise f.Refused("bad-vpdq", "vpdq has no frame")
    frames: list[FrameHash] = []
    for position, item in enumerate(value):
        if isinstance(item, dict):
            frames.append(_json_frame(position, item))
        elif isinstance(item, str):
            frames.append(_csv_frame(position, item))
        else:
            raise f.Refused("bad-vpdq", f"frame {position} is a {type(item).__name__}, not an object or text")
    return tuple(frames)


def _json_frame(position: int, item: dict[str, Any]) -> FrameHash:
    missing = [key for key in ("quality", "hash", "timestamp") if key not in item]
    if missing:
        raise f.Refused("bad-vpdq", f"frame {position} has no {', '.join(missing)}")
    return _frame(position, position, item["hash"], item["quality"], item["timestamp"])


def _csv_frame(position: int, item: str) -> FrameHash:
    cells = [cell.strip() for cell in item.split(",")]
    if len(cells) != 4:
        detail = f"frame {position}: {len(cells)} fields, not frame,hash,quality,timestamp"
        raise f.Refused("bad-vpdq", detail)
    number, value, quality, seconds = cells
    if not number.isdigit():
        raise f.Refused("bad-vpdq", f"frame {position}: frame number {number[:20]!r} is not a whole number")
    return _frame(position, int(number), value, _number(position, quality), _number(position, seconds))


def _number(position: int, text: str) -> float | int:
    try:
        return int(text) if text.isdigit() else float(text)
    except ValueError:
        raise f.Refused("bad-vpdq", f"frame {position}: {text[:20]!r} is not a number") from None


def _frame(position: int, number: int, value: object, quality: object, seconds: object) -> FrameHash:
    if not isinstance(value, str):
        raise f.Refused("bad-vpdq", f"frame {position}: the hash is not text")
    try:
        code = PDQ.parse(value)
    except InvalidDigestError as exc:
        raise f.Refused("bad-vpdq", f"frame {position}: {exc.message}") from None
    if isinstance(quality, float) and quality.is_integer():
        quality = int(quality)
    if not isinstance(quality, int) or isinstance(quality, bool) or not 0 <= quality <= 100:
        raise f.Refused("bad-vpdq", f"frame {position}: quality {quality!r} is not a whole number 0..100")
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        raise f.Refused("bad-vpdq", f"frame {position}: timestamp {seconds!r} is not a number of seconds")
    if not math.isfinite(seconds) or seconds < 0:
        raise f.Refused("bad-vpdq", f"frame {position}: timestamp {seconds!r} is not a time in the video")
    return FrameHash(number, round(float(seconds), TIMESTAMP_DIGITS), code, quality)
