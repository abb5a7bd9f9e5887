"""Evidence source types: one visible registry, filled from one explicit list.

``directory``: a folder read in place; ``raw``: a raw disk or volume image, single or split (``x.001``…);
``e01``: an Expert Witness image; ``vmdk``, ``vhd`` (and VHDX), ``qcow``, ``dmg``: virtual disks
(:mod:`vigilant.evidence.virtual_disks`); ``archive``: a zip, tar or compressed file whose members are the
files (:mod:`vigilant.evidence.container`). Each walks its evidence into file entries (images through The
Sleuth Kit, see :mod:`vigilant.evidence.filesystems`), says which paths are its own, and computes the hashes
recorded when the evidence is registered (:meth:`SourceType.acquisition_hashes`). Detection goes by content:
a raw image is a file in which The Sleuth Kit finds a partition table or a file system.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import Protocol

import pytsk3

from vigilant.evidence.base import EntryStatus, EvidenceError, EvidenceSource, FileEntry, Problem
from vigilant.evidence.container import ContainerWalk, archive_kind_of
from vigilant.evidence.directory import DirectoryWalk
from vigilant.evidence.filesystems import FileSystemWalker
from vigilant.evidence.images import (
    EwfImage,
    EwfVerification,
    ImageReader,
    RawImage,
    TskImage,
    is_ewf,
    open_raw,
)
from vigilant.evidence.libyal_filesystems import libyal_kind
from vigilant.evidence.lvm import is_lvm
from vigilant.evidence.unsupported_volumes import unsupported_reason
from vigilant.evidence.virtual_disks import FORMATS, DiskFormat, VirtualDisk
from vigilant.extension_points import Registry

_HASH_CHUNK = 4 << 20


class EvidenceWalk(Protocol):
    """One pass over a source: iterate for the file entries; ``problems`` fills as it goes."""

    problems: list[Problem]

    def __iter__(self) -> Iterator[FileEntry]: ...

    def close(self) -> None: ...

    def __enter__(self) -> EvidenceWalk: ...

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...


class SourceType(EvidenceSource, Protocol):
    """An evidence source type as the registry holds it."""

    def walk(self, path: Path) -> EvidenceWalk:
        """Open the evidence for one pass; close it (or use ``with``) when done."""
        ...

    def acquisition_hashes(self, path: Path) -> dict[str, str]:
        """Hashes that fix the evidence as it is now, to record and to check again later."""
        ...


def _entries(walk: Callable[[Path], EvidenceWalk], path: Path) -> Iterator[FileEntry]:
    # Openers read through the walk's handles: they work while this generator is alive.
    with walk(path) as opened:
        yield from opened


# --- folders --------------------------------------------------------------------------------------------
class DirectorySource:
    """A folder of files, read in place: never written, symbolic links never followed."""

    name = "directory"
    title = "Folder (read in place)"

    def accepts(self, path: Path) -> bool:
        return path.is_dir()

    def walk(self, path: Path) -> DirectoryWalk:
        return DirectoryWalk(path)

    def entries(self, path: Path) -> Iterator[FileEntry]:
        return _entries(self.walk, path)

    def acquisition_hashes(self, path: Path) -> dict[str, str]:
        """The SHA-256 of a manifest of the folder's regular files.

        The manifest is UTF-8 text, one line per file in walk order (sorted by path):
        ``<path>\\t<size>\\t<sha256 hex>\\n``, path relative to the folder with "/" separators and a
        leading "/"; a file that cannot be read has ``unreadable`` in place of its digest. Symbolic links
        and special files are not in it (the walk skips them). Returned: ``manifest-sha256``, ``files``,
        ``bytes``.
        """
        manifest = DirectoryManifest()
        for entry in self.entries(path):
            digest = None
            if entry.status is EntryStatus.OK:
                with contextlib.suppress(OSError):  # gone or unreadable since the walk listed it
                    digest = _sha256(entry)
            manifest.add(entry.address.path, entry.size, digest)
        return manifest.hashes()


class DirectoryManifest:
    """The folder manifest of :meth:`DirectorySource.acquisition_hashes`, fed one file at a time in walk
    order; a triage run feeds it from its own records, so re-verifying a folder costs no second read."""

    def __init__(self) -> None:
        self._digest = hashlib.sha256()
        self.files = 0
        self.bytes = 0

    def add(self, path: str, size: int, sha256_hex: str | None) -> None:
        self._digest.update(f"{path}\t{size}\t{sha256_hex or 'unreadable'}\n".encode())
        self.files += 1
        self.bytes += size

    def hashes(self) -> dict[str, str]:
        return {
            "manifest-sha256": self._digest.hexdigest(),
            "files": str(self.files),
            "bytes": str(self.bytes),
        }


def _sha256(entry: FileEntry) -> str:
    digest = hashlib.sha256()
    with entry.open() as fh:
        while chunk := fh.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


# --- images ---------------------------------------------------------------------------------------------
class _ImageSource:
    name: str
    title: str

    def open_image(self, path: Path) -> ImageReader:
        raise NotImplementedError

    def walk(self, path: Path) -> FileSystemWalker:
        return FileSystemWalker(self.open_image(path), owns_reader=True)

    def entries(self, path: Path) -> Iterator[FileEntry]:
        return _entries(self.walk, path)


class RawSource(_ImageSource):
    """A raw image, byte for byte: one file (``.dd``, ``.raw``, ``.img``, …) or numbered segments."""

    name = "raw"
    title = "Raw image (dd), single or split (.001, .002, …)"

    def accepts(self, path: Path) -> bool:
        """A file in which The Sleuth Kit finds a partition table or a file system (at its start): a file
        of any other content is not taken for an image (``--type raw`` still forces it)."""
        if not path.is_file() or is_ewf(path):
            return False
        try:
            with self.open_image(path) as image:
                return tsk_finds_volumes(image)
        except EvidenceError:
            return False

    def open_image(self, path: Path) -> ImageReader:
        return open_raw(path)

    def acquisition_hashes(self, path: Path) -> dict[str, str]:
        """MD5 and SHA-256 of the image's bytes (all segments, in order), and its size."""
        with self.open_image(path) as image:
            return md5_sha256(image)


def tsk_finds_volumes(image: ImageReader) -> bool:
    """Whether The Sleuth Kit finds a partition table, or else a file system at offset 0, in the image (or
    the libyal readers do: XFS, APFS, an LVM physical volume; or it starts with a LUKS, BitLocker or UDF
    volume)."""
    if libyal_kind(image.read(0, 4096)) is not None or is_lvm(image, 0):
        return True  # a volume the run reads through libyal (XFS, APFS, LVM)
    if unsupported_reason(image, 0) is not None:
        return True  # a volume the run reports for what it is (encrypted, UDF)
    tsk = TskImage(image)
    try:
        pytsk3.Volume_Info(tsk)
        return True
    except OSError:
        pass
    try:
        pytsk3.FS_Info(tsk, offset=0)
        return True
    except OSError:
        return False


def md5_sha256(image: ImageReader) -> dict[str, str]:
    """MD5 and SHA-256 of all the reader's bytes, and how many there are."""
    md5, sha256 = hashlib.md5(usedforsecurity=False), hashlib.sha256()
    # The two digests run side by side on each chunk (hashlib releases the GIL): a whole image is hashed
    # again after every run, so this halves the wait for verification on two cores.
    with ThreadPoolExecutor(1, thread_name_prefix="md5") as beside:
        offset = 0
        while offset < image.size:
            data = image.read(offset, _HASH_CHUNK)
            pending = beside.submit(md5.update, data)
            sha256.update(data)
            pending.result()
            offset += len(data)
    return {"md5": md5.hexdigest(), "sha256": sha256.hexdigest(), "bytes": str(offset)}


class E01Source(_ImageSource):
    """An Expert Witness (EnCase) image, ``x.E01`` with its segments ``x.E02…`` beside it."""

    name = "e01"
    title = "Expert Witness image (E01)"

    def accepts(self, path: Path) -> bool:
        return path.is_file() and is_ewf(path)

    def open_image(self, path: Path) -> EwfImage:
        return EwfImage(path)

    def acquisition_hashes(self, path: Path) -> dict[str, str]:
        """The hashes stored in the image at acquisition (``md5``, ``sha1``), read without reading the media.

        ``verify`` is "available": :meth:`verify` reads every byte and compares with them.
        """
        with self.open_image(path) as image:
            hashes = image.stored_hashes()
        hashes["verify"] = "available"
        return hashes

    def verify(self, path: Path) -> EwfVerification:
        """Read all media data and compare with the stored hashes."""
        with self.open_image(path) as image:
            return image.verify()


class VirtualDiskSource(_ImageSource):
    """A virtual machine's disk (VMDK, VHD/VHDX, QCOW2) through its libyal library; a differencing disk with
    its parents beside it. Its volumes and file systems are found as in a raw image."""

    def __init__(self, disk_format: DiskFormat, title: str) -> None:
        self.format = disk_format
        self.name = disk_format.name
        self.title = title

    def accepts(self, path: Path) -> bool:
        return path.is_file() and self.format.has_signature(path)

    def open_image(self, path: Path) -> VirtualDisk:
        return VirtualDisk(path, self.format)

    def acquisition_hashes(self, path: Path) -> dict[str, str]:
        """MD5 and SHA-256 of the disk's media (what ``qemu-img convert -O raw`` writes), its size, and the
        files it was read from (``chain``: the disk, then each parent)."""
        with self.open_image(path) as disk:
            hashes = md5_sha256(disk)
            hashes["chain"] = " < ".join(p.name for p in disk.chain)
        return hashes


_VIRTUAL_DISK_TITLES = {
    "vmdk": "VMware virtual disk (VMDK), its extents and parents beside it",
    "vhd": "Microsoft virtual hard disk (VHD, VHDX), a differencing disk's parent beside it",
    "qcow": "QEMU disk image (QCOW, QCOW2), its backing file beside it",
    "dmg": "Apple disk image (DMG: UDIF, compressed or not)",
}


# --- archives -------------------------------------------------------------------------------------------
class ArchiveSource:
    """An archive given as evidence (zip, 7z, RAR, tar, tar.gz/.bz2/.xz, or one gzip/bzip2/xz file), told by
    its first bytes: a logical container whose members are the files (:mod:`vigilant.evidence.container`)."""

    name = "archive"
    title = "Archive (zip, 7z, RAR, tar, tar.gz/.bz2/.xz, gzip, bzip2, xz): its members are the files"

    def accepts(self, path: Path) -> bool:
        return path.is_file() and archive_kind_of(path) is not None

    def walk(self, path: Path) -> ContainerWalk:
        return ContainerWalk(path)

    def entries(self, path: Path) -> Iterator[FileEntry]:
        return _entries(self.walk, path)

    def acquisition_hashes(self, path: Path) -> dict[str, str]:
        """MD5 and SHA-256 of the archive file's bytes, and its size (checked again after each run)."""
        with RawImage(path) as whole:
            return md5_sha256(whole)


# --- the registry ---------------------------------------------------------------------------------------
class SourceRegistry(Registry[SourceType]):
    """Source types by name; detection asks each in list order, the most specific first."""

    what = "evidence source type"
    plural = "types"

    def detect(self, path: Path) -> SourceType:
        if not path.exists():
            raise EvidenceError(f"no evidence at {path}", hint="check the path (the folder or first segment)")
        for source in self:
            if source.accepts(path):
                return source
        raise EvidenceError(
            f"cannot tell what kind of evidence {path} is: it is not a folder, has no E01 signature, is not"
            " an archive (zip, tar, gzip, bzip2, xz, 7z, RAR: looked for by its first bytes) or a virtual"
            " disk (VMDK, VHD/VHDX, QCOW, DMG), and The Sleuth Kit finds neither a partition table nor a file"
            " system in it",
            hint="check the file; if it is a disk image all the same (damaged or wiped), add it with"
            " --type raw, and triage will say what it could not read",
        )


def _builtin_types() -> list[SourceType]:
    # The one explicit list. Order matters for detection: a folder, then E01 and archives by their
    # signatures, then virtual disks by theirs (a fixed VHD is a raw image with a footer: before raw), then
    # raw, where The Sleuth Kit finds a partition table or a file system.
    disks: list[SourceType] = [VirtualDiskSource(f, _VIRTUAL_DISK_TITLES[f.name]) for f in FORMATS]
    return [DirectorySource(), E01Source(), ArchiveSource(), *disks, RawSource()]


_registry: SourceRegistry | None = None


def sources() -> SourceRegistry:
    global _registry  # noqa: PLW0603 - built once, on first use, from the explicit list above
    if _registry is None:
        _registry = SourceRegistry(_builtin_types())
    return _registry


__all__ = [
    "ArchiveSource",
    "DirectorySource",
    "E01Source",
    "EvidenceWalk",
    "RawSource",
    "SourceRegistry",
    "SourceType",
    "VirtualDiskSource",
    "sources",
]
