"""What the two NSRL readers share: the ``extra`` keys they fill and the hints for a NIST release."""

from __future__ import annotations

from vigilant.library.records import SetHints, SetKind

EXTRA_CRC32 = "crc32"
EXTRA_PACKAGE_ID = "package_id"  # RDS v3 package_id, RDS 2.x ProductCode
EXTRA_PACKAGE_NAME = "package_name"
EXTRA_PACKAGE_VERSION = "package_version"
EXTRA_OS_CODE = "os_code"
EXTRA_OS_NAME = "os_name"
EXTRA_OS_VERSION = "os_version"
EXTRA_MANUFACTURER = "manufacturer"
EXTRA_SPECIAL_CODE = "special_code"


def nsrl_hints(
    version: str | None = None, build_set: str | None = None, description: str | None = None
) -> SetHints:
    # NSRL is published as known software; products NIST flags (hacker tools, …) can be re-filed as
    # alerts by the examiner after import.
    name = f"NSRL RDS {build_set}" if build_set else "NSRL RDS"
    return SetHints(
        name=name,
        version=version,
        profile="none",
        kind=SetKind.KNOWN_GOOD,
        source="NIST National Software Reference Library",
        description=description,
    )


def compact(extra: dict[str, object]) -> dict[str, object]:
    """Drop empty values so entries do not carry a dozen nulls each."""
    return {key: value for key, value in extra.items() if value is not None and value != ""}
