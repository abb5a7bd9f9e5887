"""Category profiles: what a set's category code means depends on the scheme its publisher used.

Project VIC US and Autopsy's older DHS scheme reuse the same numbers with other meanings, and UK CAID uses
the Sentencing Council grades A/B/C. A code is only ever interpreted through its set's profile; comparisons
across profiles go through the profile-independent :class:`CategoryClass` and its severity rank.

A list with a scheme of its own is imported with a custom profile read from a small TOML or JSON file
(:func:`load_profile_file`); its definition is stored with the set, and :func:`resolve_profile` gives the
profile of any set, built-in or custom.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from vigilant.errors import BadInputError
from vigilant.extension_points import Registry


class CategoryClass(Enum):
    """Profile-independent meaning of a category, ordered by ``severity``."""

    UNCATEGORIZED = ("uncategorized", 0)
    NON_PERTINENT = ("non_pertinent", 1)
    COMPARISON = ("comparison", 2)
    CGI = ("cgi", 3)
    EXPLOITIVE = ("exploitive", 4)  # age difficult / exploitive, not abuse material
    ABUSE = ("abuse", 5)  # child sexual abuse material

    def __init__(self, slug: str, severity: int) -> None:
        self.slug = slug
        self.severity = severity


class InvalidCategoryError(BadInputError):
    """A category code that the set's profile does not define."""


@dataclass(frozen=True)
class Category:
    profile: str
    code: str
    label: str
    cls: CategoryClass

    @property
    def severity(self) -> int:
        return self.cls.severity

    def __str__(self) -> str:
        return f"{self.code} {self.label} [{self.profile}]"


@dataclass(frozen=True)
class CategoryProfile:
    name: str
    title: str
    categories: tuple[Category, ...]

    def get(self, code: str | int | None) -> Category | None:
        """The category for ``code``; ``None`` for a missing code (uncategorised entry)."""
        if code is None:
            return None
        text = str(code).strip()
        if text == "":
            return None
        for category in self.categories:
            if category.code.lower() == text.lower():
                return category
        known = ", ".join(c.code for c in self.categories)
        raise InvalidCategoryError(f"category {text!r} is not defined by profile {self.name} ({known})")

    def normalise(self, code: str | int | None) -> str | None:
        category = self.get(code)
        return None if category is None else category.code

    def definition(self) -> dict[str, Any]:
        """The profile as data: what a custom profile file holds, and what is stored with its sets."""
        return {
            "name": self.name,
            "title": self.title,
            "categories": [{"code": c.code, "label": c.label, "class": c.cls.slug} for c in self.categories],
        }


def _profile(name: str, title: str, rows: Iterable[tuple[str, str, CategoryClass]]) -> CategoryProfile:
    return CategoryProfile(name, title, tuple(Category(name, code, label, cls) for code, label, cls in rows))


C = CategoryClass
VIC_US = _profile(
    "vic-us",
    "Project VIC (US)",
    [
        ("0", "Non-Pertinent", C.NON_PERTINENT),
        ("1", "Child Abuse Material", C.ABUSE),
        ("2", "Child Exploitive / Age Difficult", C.EXPLOITIVE),
        ("3", "CGI/Animation", C.CGI),
        ("4", "Comparison Images", C.COMPARISON),
    ],
)
DHS = _profile(
    "dhs",
    "Legacy DHS (Autopsy)",
    [
        ("0", "Uncategorized", C.UNCATEGORIZED),
        ("1", "Illegal", C.ABUSE),
        ("2", "Age Difficult", C.EXPLOITIVE),
        ("3", "CGI", C.CGI),
        ("4", "Exemplar", C.COMPARISON),
        ("5", "Non-pertinent", C.NON_PERTINENT),
    ],
)
CAID_UK = _profile(
    "caid-uk",
    "UK CAID (Sentencing Council grades)",
    [
        ("A", "Category A", C.ABUSE),
        ("B", "Category B", C.ABUSE),
        ("C", "Category C", C.ABUSE),
    ],
)
# Sets with no categories at all (NSRL, plain hash lists) use this profile.
NONE = _profile("none", "No categories", [])


class ProfileRegistry(Registry[CategoryProfile]):
    """The category profiles Vigilant knows."""

    what = "category profile"
    plural = "profiles"


PROFILES = ProfileRegistry([VIC_US, DHS, CAID_UK, NONE])


# --- custom profiles ------------------------------------------------------------------------------------
PROFILE_FILE_MAX_BYTES = 64 * 1024
PROFILE_MAX_CATEGORIES = 100
_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,19}")  # fits the set's profile column (20 characters)
_CODE_MAX = 16  # fits an entry's category column
_LABEL_MAX = 200
CLASSES = {cls.slug: cls for cls in CategoryClass}


class ProfileFileError(BadInputError):
    """A custom profile file that cannot be used; the message names the file and the place in it."""


def load_profile_file(path: Path) -> CategoryProfile:
    """A custom category profile from a TOML (``.toml``) or JSON file, validated.

    ``name`` (lower-case letters, digits, ``.-_``; not a built-in profile's), ``title``, and
    ``categories``: a list of ``{code, label, class}`` where ``class`` is one of :data:`CLASSES`.
    """
    hint = "see 'Custom category profiles' in the README for the layout"
    try:
        if path.stat().st_size > PROFILE_FILE_MAX_BYTES:
            raise ProfileFileError(f"{path}: larger than {PROFILE_FILE_MAX_BYTES // 1024} KiB", hint=hint)
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ProfileFileError(f"cannot read the profile file {path}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise ProfileFileError(
            f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})", hint="save it as UTF-8"
        ) from exc
    try:
        if path.suffix.lower() == ".json":
            data: object = json.loads(text)
        elif path.suffix.lower() == ".toml":
            data = tomllib.loads(text)
        else:
            raise ProfileFileError(f"{path}: name it .toml or .json, so its syntax is known", hint=hint)
    except json.JSONDecodeError as exc:
        raise ProfileFileError(f"{path}: not valid JSON: {exc.msg} at line {exc.lineno}", hint=hint) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ProfileFileError(f"{path}: not valid TOML: {exc}", hint=hint) from exc
    return profile_from_definition(data, where=str(path), custom=True)


def profile_from_definition(data: object, *, where: str, custom: bool = False) -> CategoryProfile:
    """A profile from its :meth:`CategoryProfile.definition`; ``custom``: a new one, checked strictly."""

    def fail(message: str) -> ProfileFileError:
        return ProfileFileError(f"{where}: {message}", hint="see 'Custom category profiles' in the README")

    if not isinstance(data, Mapping):
        raise fail("expected a table (TOML) or object (JSON) with name, title and categories")
    unknown = sorted(set(data) - {"name", "title", "categories"})
    if unknown:
        raise fail(f"unknown key(s) {', '.join(map(repr, unknown))}: only name, title and categories")
    name, title, rows = data.get("name"), data.get("title"), data.get("categories")
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise fail(
            f"name {name!r} must be 1-20 lower-case letters, digits, '.', '-' or '_', starting with a letter"
            " or digit"
        )
    if custom and name in PROFILES.names():
        raise fail(f"name {name!r} is a built-in profile: give the custom profile a name of its own")
    if title is None:
        title = name
    if not isinstance(title, str) or not title.strip() or len(title) > _LABEL_MAX:
        raise fail(f"title must be text of 1-{_LABEL_MAX} characters")
    if not isinstance(rows, list) or not rows:
        raise fail("categories must be a non-empty list of {code, label, class}")
    if len(rows) > PROFILE_MAX_CATEGORIES:
        raise fail(f"{len(rows)} categories: at most {PROFILE_MAX_CATEGORIES}")
    categories: list[Category] = []
    seen: dict[str, int] = {}
    for index, row in enumerate(rows):
        at = f"categories[{index}]"
        if not isinstance(row, Mapping):
            raise fail(f"{at} must be a table/object with code, label and class")
        extra = sorted(set(row) - {"code", "label", "class"})
        if extra:
            raise fail(f"{at}: unknown key(s) {', '.join(map(repr, extra))}: only code, label and class")
        code, label, slug = row.get("code"), row.get("label"), row.get("class")
        if isinstance(code, int) and not isinstance(code, bool):
            code = str(code)
        if not isinstance(code, str) or not code.strip() or len(code.strip()) > _CODE_MAX:
            raise fail(f"{at}: code must be text or a number of 1-{_CODE_MAX} characters, got {code!r}")
        code = code.strip()
        if code.lower() in seen:
            raise fail(f"{at}: code {code!r} is already defined by categories[{seen[code.lower()]}]")
        seen[code.lower()] = index
        if not isinstance(label, str) or not label.strip() or len(label) > _LABEL_MAX:
            raise fail(f"{at} (code {code!r}): label must be text of 1-{_LABEL_MAX} characters")
        if not isinstance(slug, str) or slug.strip().lower() not in CLASSES:
            raise fail(f"{at} (code {code!r}): class {slug!r} is not one of {', '.join(CLASSES)}")
        categories.append(Category(name, code, label.strip(), CLASSES[slug.strip().lower()]))
    return CategoryProfile(name, title.strip(), tuple(categories))


def resolve_profile(name: str, definition: Mapping[str, Any] | None = None) -> CategoryProfile:
    """The profile a set was imported under: its stored definition (a custom profile), else a built-in."""
    if not definition:
        return PROFILES[name]
    key = json.dumps(definition, sort_keys=True)
    profile = _RESOLVED.get(key)
    if profile is None:
        profile = profile_from_definition(definition, where=f"the stored definition of profile {name!r}")
        if len(_RESOLVED) < 1000:  # a library holds a few custom profiles; the bound is a safety net
            _RESOLVED[key] = profile
    return profile


_RESOLVED: dict[str, CategoryProfile] = {}  # stored definition (as JSON) -> its profile, parsed once
