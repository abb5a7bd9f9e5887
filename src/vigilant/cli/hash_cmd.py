"""``vigilant hash FILE…``: the digests an examiner quotes, and PDQ for images."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from PIL import Image, UnidentifiedImageError
from rich.table import Table

from vigilant.cli.common import console, console_err
from vigilant.errors import ExitCode, VigilantError
from vigilant.hashing.streams import digest_file
from vigilant.perceptual.pdq import PDQ_IMPORT_METHOD, PDQ_MIN_QUALITY, PdqMethod, pdq_of_image

# Leading bytes of the common picture formats: a file that starts like a picture but does not open as
# one is a corrupt picture to report, not "not a picture".
_IMAGE_SIGNATURES = (
    b"\xff\xd8\xff",
    b"\x89PNG\r\n\x1a\n",
    b"GIF87a",
    b"GIF89a",
    b"BM",
    b"II*\x00",
    b"MM\x00*",
)


def _is_image(path: Path) -> bool:
    try:
        with Image.open(path):  # reads the header only
            return True
    except (UnidentifiedImageError, OSError, ValueError):
        with path.open("rb") as fh:
            head = fh.read(12)
        return head.startswith(_IMAGE_SIGNATURES) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP")


def hash_files(
    files: Annotated[list[Path], typer.Argument(help="Files to hash.", exists=True, dir_okay=False)],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON lines.")] = False,
    no_pdq: Annotated[bool, typer.Option("--no-pdq", help="Skip the perceptual hash of images.")] = False,
    pdq_method: Annotated[
        PdqMethod,
        typer.Option(
            help="PDQ of the full picture (as python-threatexchange and HMA) or of the picture at 512 px"
            " (as Meta's C++ tool): compare with a list made the same way."
        ),
    ] = PDQ_IMPORT_METHOD,
) -> int:
    """Print MD5, SHA-1, SHA-256 and, for images, the PDQ hash and its quality."""
    code = ExitCode.OK
    rows: list[dict[str, Any]] = []
    for path in files:
        row: dict[str, Any] = {"path": str(path)}
        try:
            d = digest_file(path)
            row.update(size=d.size, md5=d.md5.hex(), sha1=d.sha1.hex(), sha256=d.sha256.hex())
            if not no_pdq and _is_image(path):
                pdq = pdq_of_image(path, pdq_method)
                row.update(pdq=pdq.hash.hex(), pdq_quality=pdq.quality, pdq_method=pdq.method.value)
                if pdq.quality < PDQ_MIN_QUALITY:
                    row["pdq_note"] = f"quality below {PDQ_MIN_QUALITY}: too unstable to match on"
        except (OSError, VigilantError) as exc:
            row["error"] = str(exc)
            code = ExitCode.BAD_INPUT
            console_err.print(f"[red]{path}[/]: {exc}")
        rows.append(row)
    if as_json:
        for row in rows:
            console.print(json.dumps(row), soft_wrap=True)
        return int(code)
    for row in rows:
        if "error" in row and "md5" not in row:
            continue
        table = Table(show_header=False, box=None, title=row["path"], title_justify="left")
        for key in ("size", "md5", "sha1", "sha256", "pdq", "pdq_quality", "pdq_method", "pdq_note", "error"):
            if key in row:
                table.add_row(f"[bold]{key}[/]", str(row[key]))
        console.print(table)
    return int(code)
