"""Synthetic hash-set entries: random but reproducible, never drawn from any real set.

Digests are random bytes from a seeded generator, names are made-up words; nothing here describes real
material. Tests, benchmarks and the demo all build their sources from these.
"""

from __future__ import annotations

import base64
import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from vigilant.library import vics_model as vm
from vigilant.library.categories import PROFILES
from vigilant.library.records import HashSetInfo, KnownEntry, SetKind, StoredEntry

_SYLLABLES = ("ka", "lo", "mi", "ne", "su", "ta", "vo", "ri", "pe", "da", "zu", "fi", "go", "ba", "xe")
_EXTENSIONS = ("jpg", "png", "gif", "mp4", "avi", "webp")
# File names that trip careless parsers: commas (CSV, hashdeep), backslashes (GNU sums escaping), spaces,
# non-ASCII letters, a leading "=" (spreadsheet formulas).
_TRICKY = ("{a}, {b}.{x}", "{a}\\{b}.{x}", "{a}  {b} .{x}", "ünï {a} çødé.{x}", "={a}{b}.{x}")


@dataclass(frozen=True)
class Raw:
    """A verbatim item a sample writer puts where an entry would go: how tests plant damaged rows.

    The value's type depends on the writer: a JSON value (VICS), one text line (text formats), a FILE row
    tuple (NSRL v3) or raw record bytes (EnCase).
    """

    value: object


SampleItem = KnownEntry | Raw


def word(rng: random.Random, syllables: int = 3) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(syllables))


def iter_synthetic_entries(
    n: int, seed: int = 0, *, profile: str = "vic-us", tricky_names: bool = True
) -> Iterator[KnownEntry]:
    """``n`` entries with every field a reader may fill; ``profile`` picks the category codes."""
    rng = random.Random(seed)
    codes: list[str | None] = [category.code for category in PROFILES[profile].categories]
    codes.append(None)
    for index in range(n):
        name = _file_name(rng, tricky=tricky_names and index % 10 == 9)
        extra: dict[str, Any] = {}
        if rng.random() < 0.5:
            extra[vm.EXTRA_PATHS] = [f"C:\\Users\\{word(rng)}\\Pictures\\{name}"]
        if rng.random() < 0.3:
            extra[vm.EXTRA_PHOTODNA] = base64.b64encode(rng.randbytes(144)).decode("ascii")
        has_pdq = rng.random() < 0.25
        yield KnownEntry(
            location=f"synthetic[{index}]",
            md5=rng.randbytes(16),
            sha1=rng.randbytes(20),
            sha256=rng.randbytes(32),
            pdq=rng.randbytes(32) if has_pdq else None,
            pdq_quality=rng.randrange(50, 101) if has_pdq else None,
            size=rng.randrange(1, 50_000_000),
            category=rng.choice(codes),
            series=f"series-{word(rng, 2)}" if rng.random() < 0.25 else None,
            victim_identified=rng.choice((None, True, False)),
            offender_identified=rng.choice((None, True, False)),
            distributed=rng.choice((None, True, False)),
            tags=tuple(word(rng, 2) for _ in range(rng.randrange(3))),
            comments=f"{word(rng)} {word(rng, 2)} {word(rng)}" if rng.random() < 0.2 else None,
            file_name=name,
            extra=extra,
        )


def synthetic_entries(
    n: int, seed: int = 0, *, profile: str = "vic-us", tricky_names: bool = True
) -> list[KnownEntry]:
    return list(iter_synthetic_entries(n, seed, profile=profile, tricky_names=tricky_names))


def _file_name(rng: random.Random, *, tricky: bool) -> str:
    extension = rng.choice(_EXTENSIONS)
    if tricky:
        return rng.choice(_TRICKY).format(a=word(rng), b=word(rng, 2), x=extension)
    return f"{word(rng)}_{word(rng, 2)}.{extension}"


def display_name(entry: KnownEntry, index: int) -> str:
    """The name a line-oriented writer puts beside a digest: the file name, else a made-up one."""
    return entry.file_name or f"entry-{index}"


def sample_set(
    set_id: int = 1,
    *,
    name: str = "Synthetic set",
    version: str = "1",
    kind: SetKind = SetKind.KNOWN_BAD,
    profile: str = "vic-us",
    fmt: str = "vics",
) -> HashSetInfo:
    """A hash set as the store would describe it, for exporter tests that need no database."""
    return HashSetInfo(
        id=set_id,
        name=name,
        version=version,
        kind=kind,
        profile=profile,
        source="synthetic",
        format=fmt,
        source_file=f"synthetic-{set_id}",
        source_sha256="0" * 64,
        source_size=0,
        imported_at=datetime(2024, 1, 1, tzinfo=UTC),
        imported_by="sample",
        entry_count=0,
        refused_count=0,
        pdq_threshold=31,
    )


def stored_entries(
    entries: Iterable[KnownEntry], hash_set: HashSetInfo, first_id: int = 1
) -> Iterator[StoredEntry]:
    """``entries`` as the store would hand them to an exporter."""
    for number, entry in enumerate(entries, first_id):
        yield StoredEntry(
            id=number,
            hash_set=hash_set,
            md5=entry.md5,
            sha1=entry.sha1,
            sha256=entry.sha256,
            pdq=entry.pdq,
            pdq_quality=entry.pdq_quality,
            btih_v1=entry.btih_v1,
            btih_v2=entry.btih_v2,
            bt_v2_root=entry.bt_v2_root,
            size=entry.size,
            category=entry.category,
            series=entry.series,
            victim_identified=entry.victim_identified,
            offender_identified=entry.offender_identified,
            distributed=entry.distributed,
            tags=entry.tags,
            comments=entry.comments,
            file_name=entry.file_name,
            location=entry.location,
            extra=entry.extra,
            category_label=entry.category_label,
        )
