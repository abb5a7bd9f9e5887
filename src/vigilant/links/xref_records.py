"""Person records as the xref model compares them: names folded, nicknames resolved, identifiers gathered.

Cleaning happens here, once, in Python, so the model's SQL compares plain columns: accents and case are
folded ("Hélène" = "helene"), a hyphen or space inside a surname does not count ("Le Blanc" = "Leblanc"), and
a given name carries the formal names it is a nickname of (Carlton Northern's hand-curated ``nicknames`` data:
"Bob" → robert, "Peggy" → margaret), so "Bob" and "Robert" share a form.

The fingerprint of a pair is the SHA-256 of both records' compared fields: a judgement remembers it, and a
rejected pair comes back only when it changes (new evidence on either side).
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date

from nicknames import NickNamer

_NOT_LETTER = re.compile(r"[^a-z ]+")
_NOT_LETTER_OR_DIGIT = re.compile(r"[^a-z0-9 ]+")
_SPACES = re.compile(r"\s+")

_SEX = {
    "m": "m", "male": "m", "man": "m", "boy": "m", "homme": "m", "masculin": "m",
    "f": "f", "female": "f", "woman": "f", "girl": "f", "femme": "f", "feminin": "f",
}  # fmt: skip


def fold(text: str | None, *, digits: bool = False) -> str:
    """Lower-case ASCII letters (and digits, for addresses) and single spaces: accents dropped, punctuation
    gone."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().replace("'", "")
    kept = (_NOT_LETTER_OR_DIGIT if digits else _NOT_LETTER).sub(" ", bare)
    return _SPACES.sub(" ", kept).strip()


@functools.cache
def _nicknamer() -> NickNamer:
    return NickNamer()


@functools.cache
def name_forms(given: str) -> tuple[str, ...]:
    """The name and every formal name it is a nickname of, sorted: two given names that share a form may be
    the same person's ("bobby" and "rob" share "robert")."""
    if not given:
        return ()
    return tuple(sorted({given} | {fold(c) for c in _nicknamer().canonicals_of(given)}))


def sex_of(gender: str | None) -> str | None:
    return _SEX.get(fold(gender)) if gender else None


@dataclass(frozen=True)
class XrefRecord:
    """One person as the model sees it; ``unique_id`` is the person's id."""

    unique_id: int
    given: str  # the first given name, folded
    given_forms: tuple[str, ...]
    surname: str  # folded, without spaces
    dob: date | None
    sex: str | None
    address: str | None
    municipality: str | None
    identifiers: tuple[str, ...] = field(default=())  # "kind:canonical value", sorted

    def evidence(self) -> dict[str, object]:
        """The compared fields, for the fingerprint (the id is not evidence)."""
        data = asdict(self)
        data.pop("unique_id")
        data["dob"] = self.dob.isoformat() if self.dob else None
        return data


def make_record(
    person_id: int,
    *,
    given_names: str,
    surname: str,
    date_of_birth: date | None,
    gender: str | None,
    address: str | None,
    municipality: str | None,
    identifiers: Iterable[str] = (),
) -> XrefRecord:
    given = fold(given_names).split(" ")[0]
    return XrefRecord(
        unique_id=person_id,
        given=given,
        given_forms=name_forms(given),
        surname=fold(surname).replace(" ", ""),
        dob=date_of_birth,
        sex=sex_of(gender),
        address=fold(address, digits=True) or None,
        municipality=fold(municipality) or None,
        identifiers=tuple(sorted(set(identifiers))),
    )


def fingerprint(a: XrefRecord, b: XrefRecord) -> str:
    """SHA-256 of both records' compared fields, lower id first."""
    first, second = (a, b) if a.unique_id <= b.unique_id else (b, a)
    body = json.dumps([first.evidence(), second.evidence()], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()


def as_columns(records: Sequence[XrefRecord]) -> dict[str, list[object]]:
    """Column lists (for a pyarrow table): the model's input."""
    return {
        "unique_id": [r.unique_id for r in records],
        "given": [r.given or None for r in records],
        "given_forms": [list(r.given_forms) for r in records],
        "surname": [r.surname or None for r in records],
        "dob": [r.dob for r in records],
        "sex": [r.sex for r in records],
        "address": [r.address for r in records],
        "municipality": [r.municipality for r in records],
        "identifiers": [list(r.identifiers) for r in records],
    }
