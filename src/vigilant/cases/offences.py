"""The catalogue of offences a charge can name: Criminal Code (R.S.C. 1985, c. C-46) sections, as data.

Codes are stable keys stored on charges; sections and titles are what releases and reports print.
``protects_complainants`` marks offences listed in s.486.4(1), where a publication ban on identifying the
complainant or a witness is available (and mandatory on application for those under 18); any s.163.1 offence
also brings s.486.4(3), the mandatory ban on identifying anyone depicted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from vigilant.cases.errors import InvalidRecordError


@dataclass(frozen=True, slots=True)
class Offence:
    code: str
    section: str  # as the Code numbers it: "163.1(4.1)", "286.1(2)"
    title: str
    protects_complainants: bool = True

    @property
    def citation(self) -> str:
        return f"s. {self.section} Criminal Code"


CATALOGUE: tuple[Offence, ...] = (
    Offence("cp-making", "163.1(2)", "Making child pornography"),
    Offence("cp-distributing", "163.1(3)", "Distributing or making available child pornography"),
    Offence("cp-possessing", "163.1(4)", "Possessing child pornography"),
    Offence("cp-accessing", "163.1(4.1)", "Accessing child pornography"),
    Offence("sexual-interference", "151", "Sexual interference"),
    Offence("invitation-sexual-touching", "152", "Invitation to sexual touching"),
    Offence("sexual-exploitation", "153", "Sexual exploitation"),
    Offence("voyeurism", "162", "Voyeurism"),
    Offence("intimate-images", "162.1", "Publication of an intimate image without consent"),
    Offence(
        "explicit-material-to-child",
        "171.1",
        "Making sexually explicit material available to a child",
    ),
    Offence("luring", "172.1", "Luring a child"),
    Offence("agreement-arrangement", "172.2", "Agreement or arrangement — sexual offence against a child"),
    Offence("sexual-assault", "271", "Sexual assault"),
    Offence("trafficking-minor", "279.011", "Trafficking in persons under 18"),
    Offence(
        "sexual-services-minor",
        "286.1(2)",
        "Obtaining sexual services for consideration from a person under 18",
    ),
    Offence(
        "material-benefit-minor",
        "286.2(2)",
        "Material benefit from sexual services provided by a person under 18",
    ),
    Offence("procuring-minor", "286.3(2)", "Procuring a person under 18"),
    # Not a sexual offence, but charged alongside them when a suspect breaks release conditions.
    Offence("fail-to-comply", "145(4)", "Failure to comply with an undertaking or release order", False),
)

# A section number, optionally with one or more parenthesised subsections: 163.1(4.1), 286.1(2), 151.
SECTION_PATTERN = re.compile(r"\d+(\.\d+)?(\((\d+(\.\d+)?|[a-z])\))*")


def _index(offences: tuple[Offence, ...]) -> dict[str, Offence]:
    index: dict[str, Offence] = {}
    for o in offences:
        if o.code in index:
            raise RuntimeError(f"offence code {o.code!r} listed twice")
        index[o.code] = o
    return index


OFFENCES = _index(CATALOGUE)
_BY_SECTION = {o.section: o for o in CATALOGUE}


def offence(code_or_section: str) -> Offence:
    """Look an offence up by its code ('cp-possessing') or its section ('163.1(4)', 's.163.1(4)')."""
    key = code_or_section.strip()
    if key in OFFENCES:
        return OFFENCES[key]
    section = re.sub(r"^s\.?\s*", "", key.replace(" ", ""))
    if section in _BY_SECTION:
        return _BY_SECTION[section]
    raise InvalidRecordError(
        f"no offence {code_or_section!r} in the catalogue",
        hint="use a code or section from `vigilant cases offences`, e.g. cp-possessing or 163.1(4)",
    )
