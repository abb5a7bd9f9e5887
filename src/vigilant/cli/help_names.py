"""Plain value names in ``--help``: ``PATH...``, ``TEXT``, ``INTEGER``, not Python's ``<list[Path]>``.

Typer 0.29 labels each argument and option with its Python annotation (``<str>``, ``<bool>``,
``<list[Path]>``) and arguments by their lower-case parameter names: fine for the programmer, noise for an
examiner reading ``vigilant triage run --help``. Typer offers no setting for it, so the two methods that
make those labels are replaced here, once, with the classic command-line names (the ones Click used and
man pages use); choices stay listed as they are (``known-bad|known-good|alert``). A test keeps the help free
of Python type names, so a Typer upgrade that renames these methods is noticed.
"""

from __future__ import annotations

import re
from typing import Any

from typer import core

_PLAIN = {
    "str": "TEXT",
    "int": "INTEGER",
    "int range": "INTEGER",
    "float": "NUMBER",
    "float range": "NUMBER",
    "Path": "PATH",
    "path": "PATH",
    "file": "FILE",
    "directory": "DIRECTORY",
    "datetime": "DATETIME",
    "bool": "",  # a flag: its name says it all
}
_LIST = re.compile(r"list\[(.*)\]")


def plain_label(label: str) -> str:
    """A classic value name for one of Typer's ``<label>`` type strings."""
    inner = label[1:-1] if label.startswith("<") and label.endswith(">") else label
    many = _LIST.fullmatch(inner)
    if many:
        element = plain_label(many.group(1))
        return f"{element}..." if element else ""
    return _PLAIN.get(inner, inner)


_typer_display_type = core._TyperParameter.display_type


def _display_type(self: Any, ctx: Any) -> str:
    return plain_label(_typer_display_type(self, ctx))


def _argument_name(self: Any) -> str:
    return self.metavar if self.metavar is not None else str(self.name).upper()


def use_plain_help_names() -> None:
    """Replace Typer's labels (idempotent)."""
    core._TyperParameter.display_type = _display_type  # type: ignore[method-assign]
    core.TyperArgument.display_name_raw = property(_argument_name)  # type: ignore[assignment,method-assign]
