"""Category profiles: what a set's category code means depends on the scheme its publisher used.

Project VIC US and Autopsy's older DHS scheme reuse the same numbers with other meanings, and UK CAID uses
the Sentencing Council grades A/B/C. A code is only ever interpreted through its set's profile; comparisons
across profiles go through the profile-independent :class:`CategoryClass` and its severity rank.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum

from vigilant.errors import BadInputError
from vigilant.registry import Registry


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
