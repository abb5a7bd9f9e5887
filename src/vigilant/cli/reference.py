"""The CLI reference (docs/cli.md), generated from the commands themselves so it cannot go stale.

``python -m vigilant.cli.reference > docs/cli.md`` rewrites it; a test fails when it differs.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import typer


def _walk(command: Any, path: list[str]) -> Iterator[tuple[list[str], Any]]:
    yield path, command
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        yield from _walk(sub, [*path, name])


def _param_line(param: Any) -> str | None:
    if getattr(param, "hidden", False) or param.name == "help":
        return None
    if param.param_type_name == "argument":
        return f"- `{(param.metavar or param.name).upper()}` — {getattr(param, 'help', None) or ''}".rstrip(
            " —"
        )
    flags = ", ".join(f"`{o}`" for o in [*param.opts, *param.secondary_opts])
    text = getattr(param, "help", None) or ""
    return f"- {flags} — {text}".rstrip(" —")


def cli_reference() -> str:
    from vigilant.cli import app

    root = typer.main.get_command(app)
    lines = [
        "# `vigilant` command reference",
        "",
        "Generated from the commands by `python -m vigilant.cli.reference`;",
        "a test keeps it in step with the code.",
        "",
    ]
    for path, command in _walk(root, ["vigilant"]):
        lines.append(f"{'#' * min(len(path) + 1, 4)} `{' '.join(path)}`")
        lines.append("")
        lines.append((command.help or "").strip())
        params = [line for p in command.params if (line := _param_line(p))]
        if params:
            lines.append("")
            lines.extend(params)
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    print(cli_reference(), end="")
