"""PDQ conformance: Meta's reference images and hashes (see the folder's README.md).

The folder lives outside the repository (``../shared/conformance/pdq`` from the repository root, or the
folder named by ``VIGILANT_CONFORMANCE_DIR``). Without it these tests skip, except on CI (``CI=true``),
where a missing folder is a failure: conformance must never be skipped silently there.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pytest
from PIL import Image

from vigilant.hashing.digests import PDQ
from vigilant.perceptual.pdq import pdq_dihedral, pdq_of_image, pdq_of_pil

REPO_ROOT = Path(__file__).resolve().parents[2]
MATCH_THRESHOLD = 31
_T = TypeVar("_T")
PILLOW_MODES = ("1", "CMYK", "F", "HSV", "I", "L", "LAB", "P", "PA", "RGB", "YCbCr", "RGBA", "LA", "I;16")


def conformance_dir() -> Path:
    configured = os.environ.get("VIGILANT_CONFORMANCE_DIR")
    return Path(configured) if configured else REPO_ROOT.parent / "shared" / "conformance" / "pdq"


def require_folder() -> Path:
    folder = conformance_dir()
    if (folder / "expected.csv").is_file():
        return folder
    message = (
        f"PDQ conformance folder not found at {folder} (set VIGILANT_CONFORMANCE_DIR to the folder holding"
        " expected.csv)"
    )
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@dataclass(frozen=True)
class Expected:
    path: str
    pdq: bytes
    source: str
    max_distance: int


def expected_rows() -> list[Expected]:
    path = conformance_dir() / "expected.csv"
    if not path.is_file():
        return []
    with path.open(newline="", encoding="utf-8") as fh:
        return [
            Expected(row["path"], PDQ.parse(row["expected_pdq_hex"]), row["source"], int(row["max_distance"]))
            for row in csv.DictReader(fh)
        ]


def mode_files() -> list[str]:
    folder = conformance_dir() / "modes"
    return sorted(p.name for p in folder.iterdir() if p.name != "original.jpg") if folder.is_dir() else []


def params(values: list[_T], ids: list[str]) -> list[object]:
    """Parameters for a test, or one placeholder that makes the test skip (or fail on CI) when the folder
    is missing, so the reason shows in the report instead of the test silently vanishing."""
    if not values:
        return [pytest.param(None, id="conformance-folder-missing")]
    return [pytest.param(v, id=i) for v, i in zip(values, ids, strict=True)]


ROWS = expected_rows()
BRIDGES = [r.path for r in ROWS if r.path.startswith("dih/") and "bridge-1-" not in r.path]


@pytest.mark.parametrize("row", params(ROWS, [r.path for r in ROWS]))
def test_reference_hash_within_tolerance(
    row: Expected | None, record_property: Callable[[str, object], None]
) -> None:
    folder = require_folder()
    assert row is not None
    result = pdq_of_image(folder / row.path)
    distance = PDQ.distance(result.hash, row.pdq)
    record_property("distance", distance)
    print(f"{row.path}: distance {distance} (max {row.max_distance}), quality {result.quality}")
    assert distance <= row.max_distance, (
        f"{row.path}: {result.hex} is {distance} bits from the {row.source} hash (max {row.max_distance})"
    )


@pytest.mark.parametrize("name", params(mode_files(), mode_files()))
def test_every_mode_file_matches_the_original(
    name: str | None, record_property: Callable[[str, object], None]
) -> None:
    folder = require_folder()
    assert name is not None
    original = pdq_of_image(folder / "modes" / "original.jpg")
    distance = PDQ.distance(pdq_of_image(folder / "modes" / name).hash, original.hash)
    record_property("distance", distance)
    print(f"modes/{name}: distance {distance} from original.jpg")
    assert distance <= MATCH_THRESHOLD


@pytest.mark.parametrize("mode", PILLOW_MODES)
def test_every_pillow_mode_in_memory_matches_the_original(mode: str) -> None:
    # Most files in modes/ are stored as RGB by their format (WebP has no HSV or F); converting the
    # original in memory exercises each mode's own path (I and F ranges, LAB through littlecms, alpha).
    folder = require_folder()
    with Image.open(folder / "modes" / "original.jpg") as original:
        original.load()
        reference = pdq_of_pil(original)
        converted = original.convert("L").convert(mode) if mode.startswith("I;16") else original.convert(mode)
    distance = PDQ.distance(pdq_of_pil(converted).hash, reference.hash)
    print(f"in-memory {mode}: distance {distance}")
    assert distance <= MATCH_THRESHOLD


@pytest.mark.parametrize("path", params(BRIDGES, BRIDGES))
def test_dihedral_lookup_finds_the_original_bridge(
    path: str | None, record_property: Callable[[str, object], None]
) -> None:
    folder = require_folder()
    assert path is not None
    original = pdq_of_image(folder / "dih" / "bridge-1-original.jpg").hash
    distances = [PDQ.distance(h, original) for h, _quality in pdq_dihedral(folder / path)]
    record_property("min_distance", min(distances))
    print(f"{path}: dihedral distances to bridge-1 {distances}, min {min(distances)}")
    assert min(distances) <= MATCH_THRESHOLD


def test_first_dihedral_hash_is_the_plain_hash() -> None:
    folder = require_folder()
    path = folder / "dih" / "bridge-1-original.jpg"
    hashes = pdq_dihedral(path)
    assert len(hashes) == 8
    assert hashes[0] == (pdq_of_image(path).hash, pdq_of_image(path).quality)
