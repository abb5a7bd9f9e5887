"""The dfVFS test images in ``../shared/conformance/dfvfs`` (see its README.md): found, or the test skipped
with the reason (a failure when CI=true: conformance must never be skipped silently there)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


def dfvfs_dir() -> Path:
    configured = os.environ.get("VIGILANT_CONFORMANCE_DIR")
    base = Path(configured).parent if configured else REPO_ROOT.parent / "shared" / "conformance"
    return base / "dfvfs"


def dfvfs_file(name: str) -> Path:
    """The named dfVFS test image, or a skip (CI: a failure) saying where it was looked for."""
    path = dfvfs_dir() / name
    if path.is_file():
        return path
    message = f"dfVFS test image {name} not found in {path.parent} (the shared conformance folder)"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)
