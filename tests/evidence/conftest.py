"""Images for the evidence tests, made once per test session by the real tools (see make_images)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.evidence import make_images as mk


@pytest.fixture(scope="session")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("evidence-images")


@pytest.fixture(scope="session")
def ext4_image(workdir: Path) -> mk.Built:
    return mk.make_ext4(workdir)


@pytest.fixture(scope="session")
def fat16_image(workdir: Path) -> mk.Built:
    return mk.make_fat(workdir, 16)


@pytest.fixture(scope="session")
def fat32_image(workdir: Path) -> mk.Built:
    return mk.make_fat(workdir, 32)


@pytest.fixture(scope="session")
def exfat_image(workdir: Path) -> mk.Built:
    return mk.make_exfat(workdir)


@pytest.fixture(scope="session")
def ntfs_image(workdir: Path) -> mk.Built:
    return mk.make_ntfs(workdir)


@pytest.fixture(scope="session")
def mbr_disk(workdir: Path, ext4_image: mk.Built, fat16_image: mk.Built) -> mk.Disk:
    return mk.make_disk(workdir, "dos", ext4_image, fat16_image)


@pytest.fixture(scope="session")
def gpt_disk(workdir: Path, ntfs_image: mk.Built, fat32_image: mk.Built) -> mk.Disk:
    return mk.make_disk(workdir, "gpt", ntfs_image, fat32_image)


@pytest.fixture(scope="session")
def split_disk(workdir: Path, mbr_disk: mk.Disk) -> Path:
    """The MBR disk split into 8 MiB segments; returns the first (``disk-dos.001``)."""
    return mk.make_split(mbr_disk.path, workdir, 8 * mk.MiB)


@pytest.fixture(scope="session")
def e01_disk(workdir: Path, mbr_disk: mk.Disk) -> Path:
    """The MBR disk acquired into an E01 (deflate, fast); returns ``disk-dos.E01``."""
    return mk.make_e01(mbr_disk.path, workdir / "disk-dos")
