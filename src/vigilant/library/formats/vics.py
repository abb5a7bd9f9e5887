"""Project VIC "VICS" JSON 1.x and 2.0, in the Media form and the Cases form, streamed with ijson.

Files run to gigabytes, so nothing here holds more than one Media object at a time: the Media form is
read with ``ijson.items`` over ``value.item``; the Cases form with ``ijson.items`` over
``value.item.Media.item`` while a small watcher on the event stream counts the cases (for locations) and
spots elements that are not cases.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import ijson

from vigilant.library import vics_model as vm
from vigilant.library.formats._fields import Refused
from vigilant.library.formats._vics_media import media_entry, media_location
from vigilant.library.formats.base import ReaderOptions, ReadItem, SourceError
from vigilant.library.records import RowProblem, SetHints, SetKind

MEDIA = "media"
CASES = "cases"
_SNIFF = re.compile(rb'"(?:@odata\.context|odata\.metadata)"\s*:\s*"[^"]*ProjectVic', re.IGNORECASE)
_DIGEST_KEYS = frozenset({"MD5", "SHA1", "SHA256"})
_VALUE_STARTS = frozenset({"start_map", "start_array", "string", "number", "boolean", "null"})
_DAMAGED_HINT = "the file is damaged or truncated: get an intact copy and check it against its published hash"


@dataclass(frozen=True)
class VicsHeader:
    context: str | None  # the odata context URL, when it comes before the value array
    form: str  # MEDIA or CASES
    pdq_method: str | None = None  # a Vigilant export's @Vigilant.PdqMethod, when it comes before the array


class VicsReader:
    name = "vics"
    title = "Project VIC VICS JSON 1.x/2.0"

    def sniff(self, path: Path, head: bytes) -> bool:
        body = head.removeprefix(codecs.BOM_UTF8).lstrip()
        return body.startswith(b"{") and _SNIFF.search(body) is not None

    def hints(self, path: Path, options: ReaderOptions) -> SetHints:
        header = read_header(path)
        # VICS exists to exchange categorised known material: a hit is evidence unless the user says
        # otherwise (--kind).
        if header.context is None:
            return SetHints(
                kind=SetKind.KNOWN_BAD, description=f"VICS JSON without a header, {header.form} form"
            )
        version, region = vm.parse_context(header.context)
        profile = vm.profile_of_context(header.context)
        source = "CAID" if profile == "caid-uk" else "Project VIC"
        where = f" {region}" if region else ""
        return SetHints(
            kind=SetKind.KNOWN_BAD,
            profile=profile,
            source=source,
            description=f"VICS {version}{where} JSON, {header.form} form",
            pdq_method=header.pdq_method,
        )

    def read(self, path: Path, options: ReaderOptions) -> Iterator[ReadItem]:
        header = read_header(path)
        with _open(path) as fh:
            try:
                if header.form == CASES:
                    yield from _read_cases(fh)
                else:
                    yield from _read_media(fh)
            except ijson.JSONError as exc:
                raise SourceError(
                    f"{path.name} stops being valid JSON near byte {fh.tell()}: {exc}", hint=_DAMAGED_HINT
                ) from exc


def read_header(path: Path) -> VicsHeader:
    """The context URL and the form, from the first events only (never the whole file)."""
    with _open(path) as fh:
        try:
            return _scan_header(ijson.parse(fh, use_float=True))
        except ijson.JSONError as exc:
            raise SourceError(f"{path.name} is not valid JSON: {exc}", hint=_DAMAGED_HINT) from exc


def _scan_header(events: Iterator[tuple[str, str, Any]]) -> VicsHeader:
    first = next(events, None)
    if first is None or first[1] != "start_map":
        raise SourceError("not a VICS file: the top level is not a JSON object")
    context: str | None = None
    pdq_method: str | None = None
    for prefix, event, value in events:
        if prefix != "" or event != "map_key":
            continue
        if value in (vm.V1_CONTEXT_KEY, vm.V2_CONTEXT_KEY):
            _, kind, text = _next(events)
            context = text if kind == "string" else None
        elif value == vm.PDQ_METHOD_KEY:
            _, kind, text = _next(events)
            pdq_method = text if kind == "string" else None
        elif value == "value":
            _, kind, _ = _next(events)
            if kind != "start_array":
                raise SourceError("not a VICS file: 'value' is not an array")
            return VicsHeader(context, _first_element_form(events, context), pdq_method)
    raise SourceError("not a VICS file: no 'value' array", hint="VICS files hold their Media in 'value'")


def _first_element_form(events: Iterator[tuple[str, str, Any]], context: str | None) -> str:
    """Cases if the first element holds a Media array, Media if it holds digests, else as the header says."""
    declared = CASES if context is not None and context.rstrip().endswith("#Cases") else MEDIA
    _, event, _ = _next(events)
    if event != "start_map":
        return declared
    for prefix, event, value in events:
        if prefix == "value.item" and event == "map_key" and value == "Media":
            return CASES
        if prefix == "value.item" and event == "map_key" and value in _DIGEST_KEYS:
            return MEDIA
        if prefix == "value.item" and event == "end_map":
            break
    return declared


def _next(events: Iterator[tuple[str, str, Any]]) -> tuple[str, str, Any]:
    event = next(events, None)
    if event is None:
        raise SourceError("the JSON ends where a value was expected", hint=_DAMAGED_HINT)
    return event


def _open(path: Path) -> BinaryIO:
    try:
        fh = path.open("rb")
    except OSError as exc:
        raise SourceError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if fh.read(len(codecs.BOM_UTF8)) != codecs.BOM_UTF8:
        fh.seek(0)
    return fh


def _read_media(fh: BinaryIO) -> Iterator[ReadItem]:
    for index, item in enumerate(ijson.items(fh, "value.item", use_float=True)):
        base = f"value[{index}]"
        if isinstance(item, dict) and isinstance(item.get("Media"), list):
            # A Case in a Media-form file: already in memory, so take its Media from there.
            for number, media in enumerate(item["Media"]):
                yield _entry(media, f"{base}.Media[{number}]")
        else:
            yield _entry(item, base)


def _read_cases(fh: BinaryIO) -> Iterator[ReadItem]:
    watcher = _CaseWatcher()
    case, number = -1, -1
    for media in ijson.items(watcher.watch(ijson.parse(fh, use_float=True)), "value.item.Media.item"):
        yield from watcher.drain()
        # ijson hands each Media over as soon as its last event passed the watcher, so the case is current.
        if watcher.case != case:
            case, number = watcher.case, 0
        else:
            number += 1
        yield _entry(media, f"value[{case}].Media[{number}]")
    yield from watcher.drain()


def _entry(item: object, base: str) -> ReadItem:
    location = media_location(item, base)
    try:
        return media_entry(item, location)
    except Refused as refused:
        return refused.at(location)


class _CaseWatcher:
    """Counts the elements of ``value`` and records the ones that cannot be Cases."""

    def __init__(self) -> None:
        self.case = -1
        self._refused_case = -1
        self._problems: list[RowProblem] = []

    def watch(self, events: Iterator[tuple[str, str, Any]]) -> Iterator[tuple[str, str, Any]]:
        for event in events:
            prefix, kind, value = event
            if prefix == "value.item":
                if kind in _VALUE_STARTS:
                    self.case += 1
                    if kind != "start_map":
                        self._refuse("a Case must be a JSON object")
                elif kind == "map_key" and value in _DIGEST_KEYS:
                    self._refuse("a Media object stands where a Case was expected; its hashes were not read")
            elif prefix == "value.item.Media" and kind in _VALUE_STARTS - {"start_array", "null"}:
                self._refuse("the Case's 'Media' is not an array")
            yield event

    def _refuse(self, detail: str) -> None:
        if self._refused_case == self.case:
            return  # one problem per element is enough
        self._refused_case = self.case
        self._problems.append(RowProblem(f"value[{self.case}]", "bad-element", detail))

    def drain(self) -> Iterator[RowProblem]:
        while self._problems:
            yield self._problems.pop(0)
