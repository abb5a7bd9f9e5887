"""How names and digital identifiers are compared when the registry meets other records.

Names: the surname and the first given name, ignoring case, accents and punctuation ("Zoé-Anne O'Neil" and
"ZOE-ANNE ONEIL" meet; "Zoé" and "Zoey" do not). Identifiers: ignoring case and one leading "@"; values so
common that they identify nobody ("admin", "root", …) are never compared.
"""

from __future__ import annotations

import re
import unicodedata

# Seen on countless devices and services: a match on one of these says nothing about a person.
COMMON_IDENTIFIERS = frozenset(
    {
        "admin", "administrator", "root", "user", "guest", "test", "default", "owner", "pi", "ubuntu",
        "android", "iphone", "me", "info", "support", "contact", "mail", "email", "noreply", "no-reply",
        "anonymous", "unknown", "null", "none", "system", "localhost", "home", "pc", "desktop", "laptop",
    }
)  # fmt: skip


def fold(text: str | None) -> str:
    """Lower case, accents and punctuation removed, spaces collapsed."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join(re.sub(r"[^\w\s]|_", "", bare).split())


def name_key(given_names: str | None, surname: str | None) -> tuple[str, str] | None:
    """(surname, first given name) as compared; None when either is missing."""
    given = fold(given_names).split()
    family = fold(surname).replace(" ", "")
    if not given or not family:
        return None
    return family, given[0]


def identifier_key(value: str | None) -> str | None:
    """The value compared for a user name, handle or e-mail; None for a value too common to mean anything."""
    text = (value or "").strip().removeprefix("@").casefold()
    if not text or text in COMMON_IDENTIFIERS:
        return None
    return text
