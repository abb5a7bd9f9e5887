"""What Vigilant knows of the Project VIC "VICS" data model, shared by the VICS reader and exporter.

The specification is not public; these names are reconstructed from public open-source readers (see
``shared/reference/formats.md``). Keeping them in one place means the reader and the exporter agree.
"""

from __future__ import annotations

import re

V1_CONTEXT_KEY = "odata.metadata"
V2_CONTEXT_KEY = "@odata.context"
# An OData instance annotation (readers that do not know it skip it) by which a Vigilant export says how its
# sets' PDQ hashes were made, "full" (picture) or "512" (px): a re-import then takes them the same way.
PDQ_METHOD_KEY = "@Vigilant.PdqMethod"
V2_BASE = "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml"

# Region segment of a 2.0 context URL -> Vigilant category profile. "Default" and "CUSTOM" are missing on
# purpose: their codes have no published meaning, so the user must name the profile.
REGION_PROFILES: dict[str, str] = {"US": "vic-us", "UK": "caid-uk"}
V1_PROFILE = "vic-us"

# (VICS field, KnownEntry attribute) for the yes/no fields.
FLAG_FIELDS: tuple[tuple[str, str], ...] = (
    ("VictimIdentified", "victim_identified"),
    ("OffenderIdentified", "offender_identified"),
    ("IsDistributed", "distributed"),
)
PHOTODNA = "PhotoDNA"
# VICS has no PDQ field in what is public; Vigilant carries PDQ as an alternative hash with its quality:
# {"HashName": "PDQ", "HashValue": "<64 hex>", "Quality": 90}.
PDQ = "PDQ"
PDQ_QUALITY = "Quality"
# Scalar Media fields kept verbatim under EXTRA_VICS: they mean something to VICS tools, not to matching.
KEPT_SCALARS: tuple[str, ...] = (
    "MimeType",
    "DateUpdated",
    "RelativeFilePath",
    "IsPrecategorized",
    "PrecategorizationSource",
    "IsSuspected",
    "SelfGenerated",
)

# Keys of KnownEntry.extra written by the reader and read back by the exporter.
EXTRA_MEDIA_ID = "media_id"
EXTRA_PHOTODNA = "photodna"
EXTRA_ALT_HASHES = "alternative_hashes"  # {HashName: HashValue} other than PhotoDNA
EXTRA_PATHS = "paths"  # every FilePath of the MediaFiles
EXTRA_VICS = "vics"  # {field: value} of KEPT_SCALARS

_CONTEXT = re.compile(
    r"ProjectVic/DataModels/(?P<version>\d+\.\d+)\.xml(?:/(?P<region>[^/$#]+))?", re.IGNORECASE
)


def v2_context(region: str, form: str = "Media") -> str:
    return f"{V2_BASE}/{region}/$metadata#{form}"


def v1_context(minor: int, form: str = "Media") -> str:
    return f"http://github.com/ICMEC/ProjectVic/DataModels/1.{minor}.xml#{form}"


def parse_context(context: str) -> tuple[str | None, str | None]:
    """(data-model version, region) named by a context URL; either may be ``None``."""
    match = _CONTEXT.search(context)
    if match is None:
        return None, None
    return match["version"], match["region"]


def profile_of_context(context: str | None) -> str | None:
    """The category profile a header implies: 2.0 US/UK by region, every 1.x is Project VIC US."""
    if context is None:
        return None
    version, region = parse_context(context)
    if version is None:
        return None
    if version.startswith("1."):
        return V1_PROFILE
    if region is None:
        return None
    for name, profile in REGION_PROFILES.items():
        if name.lower() == region.lower():
            return profile
    return None
