"""Synthetic sources of known videos by vPDQ hash (the ``vpdq`` format's JSON lines).

``Raw`` items are written verbatim as one line, which is how tests plant damaged rows.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from vigilant.library.records import KnownEntry
from vigilant.library.samples.entries import Raw, SampleItem


def vpdq_line(entry: KnownEntry, form: str = "json") -> dict[str, Any]:
    """One known video as the format's JSON object; ``form``: ``json`` (threatexchange's list of objects)
    or ``csv`` (Meta's ``frame,hash,quality,timestamp`` lines)."""
    if form == "json":
        frames: list[Any] = [
            {"quality": f.quality, "hash": f.hex, "timestamp": f.seconds} for f in entry.video_frames
        ]
    elif form == "csv":
        frames = [f"{f.frame},{f.hex},{f.quality},{f.seconds:.3f}" for f in entry.video_frames]
    else:
        raise ValueError(f"unknown vPDQ form {form!r}: json or csv")
    line: dict[str, Any] = {"vpdq": frames}
    for kind in ("md5", "sha1", "sha256"):
        if (value := getattr(entry, kind)) is not None:
            line[kind] = value.hex()
    for key, value in (("category", entry.category), ("series", entry.series), ("name", entry.file_name)):
        if value is not None:
            line[key] = value
    return line


def write_vpdq(path: Path, entries: Iterable[SampleItem], form: str = "json") -> Path:
    """A JSON-lines file of known videos, one a line (see :mod:`vigilant.library.formats.vpdq`)."""
    with path.open("w", encoding="utf-8", newline="\n") as out:
        for item in entries:
            if isinstance(item, Raw):
                out.write(f"{item.value}\n")
            else:
                out.write(json.dumps(vpdq_line(item, form)) + "\n")
    return path
