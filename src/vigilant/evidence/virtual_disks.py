"""Virtual disks read through the libyal libraries: VMDK (libvmdk), VHD and VHDX (libvhdi), QCOW (libqcow),
and Apple disk images, DMG (UDIF: raw, zlib, bzip2, LZFSE compressed) through libmodi.

Each is offered as an :class:`~vigilant.evidence.images.ImageReader` of the disk as the virtual machine saw
it (its *media*), so The Sleuth Kit finds partitions and file systems in it exactly as in a raw image, and
a raw copy made by ``qemu-img convert -O raw`` has the same bytes, hence the same MD5 and SHA-256.

A differencing disk (a VHD/VHDX "differential" disk, a VMDK delta, a QCOW with a backing file) holds only
what changed since its parent: the parent is found by the name the child records, looked for beside the
child, and checked against the identifier the child records for it, so a wrong parent is refused instead
of silently giving a mixed disk. A missing or wrong parent, or an encrypted QCOW, is an
:class:`~vigilant.evidence.base.EvidenceError` that names the file and says what to do.

The libraries open every file read-only; nothing here writes to the evidence.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PureWindowsPath
from typing import Any

from vigilant.evidence.base import EvidenceError
from vigilant.evidence.images import LibyalImage

_MAX_PARENTS = 32  # a longer chain is a loop of names, not a real snapshot history


def _vmdk_open(path: Path) -> Any:
    import pyvmdk  # noqa: PLC0415 - a native module; only VMDK users pay its import

    handle = pyvmdk.handle()
    handle.open(str(path), "r")
    try:
        handle.open_extent_data_files()  # the extent files the descriptor names, beside it
    except OSError:
        handle.close()
        raise
    return handle


def _vhd_open(path: Path) -> Any:
    import pyvhdi  # noqa: PLC0415 - a native module; only VHD users pay its import

    handle = pyvhdi.file()
    handle.open(str(path), "r")
    return handle


def _qcow_open(path: Path) -> Any:
    import pyqcow  # noqa: PLC0415 - a native module; only QCOW users pay its import

    handle = pyqcow.file()
    handle.open(str(path), "r")
    if handle.is_locked():
        handle.close()
        raise EvidenceError(
            f"{path} is an encrypted QCOW image",
            hint="decrypt a copy with qemu-img (the passphrase is not taken here) and add that copy",
        )
    return handle


def _dmg_open(path: Path) -> Any:
    import pymodi  # noqa: PLC0415 - a native module; only DMG users pay its import

    handle = pymodi.handle()
    handle.open(str(path), "r")
    return handle


def _no_parent(handle: Any) -> str | None:
    return None  # a DMG (UDIF) stands alone


def _vmdk_parent(handle: Any) -> str | None:
    name: str | None = handle.get_parent_filename()
    return name or None


def _vhd_parent(handle: Any) -> str | None:
    import pyvhdi  # noqa: PLC0415

    if handle.get_disk_type() != pyvhdi.disk_types.DIFFERENTIAL:
        return None
    name: str | None = handle.get_parent_filename()
    return name or ""  # a differencing disk must have one: "" makes the missing name an error


def _qcow_parent(handle: Any) -> str | None:
    name: str | None = handle.get_backing_filename()
    return name or None


def _vmdk_mismatch(child: Any, parent: Any) -> str | None:
    wanted, found = child.get_parent_content_identifier(), parent.get_content_identifier()
    if wanted is not None and found is not None and wanted != found:
        return f"the child expects content id {wanted:#010x}, the parent has {found:#010x}"
    return None


def _vhd_mismatch(child: Any, parent: Any) -> str | None:
    wanted, found = child.get_parent_identifier(), parent.get_identifier()
    if wanted and found and wanted != found:
        return f"the child expects parent identifier {wanted}, the parent is {found}"
    return None


def _no_identifier(child: Any, parent: Any) -> str | None:
    return None  # a QCOW names its backing file but records no identifier of it


@dataclass(frozen=True)
class DiskFormat:
    """What tells one virtual disk format from another, and how the libyal library opens it."""

    name: str  # the evidence source type's name
    label: str  # for messages: "VMDK"
    library: str  # the Python module, for messages
    open_one: Callable[[Path], Any]  # one file of the chain, opened read-only
    parent_name: Callable[[Any], str | None]  # the parent a differencing disk names (None: it has none)
    mismatch: Callable[[Any, Any], str | None]  # why a candidate parent is not the one recorded
    signature: Callable[[str], bool]  # the library's own check of the file's signature

    def has_signature(self, path: Path) -> bool:
        try:
            return bool(self.signature(str(path)))
        except (OSError, ImportError):
            return False


def _signature(module: str) -> Callable[[str], bool]:
    def check(path: str) -> bool:
        found: bool = __import__(module).check_file_signature(path)
        return found

    return check


VMDK = DiskFormat("vmdk", "VMDK", "pyvmdk", _vmdk_open, _vmdk_parent, _vmdk_mismatch, _signature("pyvmdk"))
VHD = DiskFormat("vhd", "VHD/VHDX", "pyvhdi", _vhd_open, _vhd_parent, _vhd_mismatch, _signature("pyvhdi"))
QCOW = DiskFormat("qcow", "QCOW", "pyqcow", _qcow_open, _qcow_parent, _no_identifier, _signature("pyqcow"))
DMG = DiskFormat("dmg", "DMG", "pymodi", _dmg_open, _no_parent, _no_identifier, _signature("pymodi"))
FORMATS = (VMDK, VHD, QCOW, DMG)


def parent_path(child: Path, recorded: str) -> Path:
    """Where the parent a child records is: that name beside the child (Windows paths included, as Hyper-V
    writes them), relative to the child's folder, or as given when absolute and present."""
    beside = child.parent / PureWindowsPath(recorded).name
    if beside.is_file():
        return beside
    relative = child.parent / recorded.replace("\\", "/")
    if relative.is_file():
        return relative
    absolute = Path(recorded)
    if absolute.is_absolute() and absolute.is_file():
        return absolute
    return beside  # not found: the name to put beside the child, for the message


class VirtualDisk(LibyalImage):
    """The media of a virtual disk, its parents (differencing disks) found and attached."""

    def __init__(self, path: Path, disk_format: DiskFormat) -> None:
        self.path = path
        self.format = disk_format
        self._handles: list[Any] = []  # the child first, then each parent
        self.chain: list[Path] = []  # the files read, the child first
        try:
            self._open_chain(path)
        except BaseException:
            self._close()
            raise
        self._handle = self._handles[0]
        self._lock = threading.Lock()  # a libyal handle has one file position
        parents = f", parents {', '.join(p.name for p in self.chain[1:])}" if len(self.chain) > 1 else ""
        super().__init__(f"{path} ({disk_format.label}{parents})", int(self._handle.get_media_size()))

    def _open_chain(self, path: Path) -> None:
        fmt = self.format
        child: Any = None
        while True:
            if len(self.chain) > _MAX_PARENTS or path in self.chain:
                raise EvidenceError(
                    f"{self.path}: the chain of parent disks loops or is longer than {_MAX_PARENTS}",
                    hint="check the parent names the differencing disks record",
                )
            handle = self._open_one(path)
            if child is not None:
                reason = fmt.mismatch(child, handle)
                if reason is not None:
                    self._handles.append(handle)
                    raise EvidenceError(
                        f"{path} is not the parent {self.chain[-1].name} was made from: {reason}",
                        hint="put the right parent disk beside it (snapshots must stay together)",
                    )
                child.set_parent(handle)
            self._handles.append(handle)
            self.chain.append(path)
            recorded = fmt.parent_name(handle)
            if recorded is None:
                return
            if not recorded:
                raise EvidenceError(f"{path}: a differencing {fmt.label} that does not name its parent")
            parent = parent_path(path, recorded)
            if not parent.is_file():
                raise EvidenceError(
                    f"{path} is a differencing {fmt.label} disk: its parent {recorded} is missing"
                    f" (looked for {parent})",
                    hint="copy the parent disk (and its own parents) into the same folder",
                )
            child, path = handle, parent

    def _open_one(self, path: Path) -> Any:
        try:
            return self.format.open_one(path)
        except OSError as exc:
            raise EvidenceError(
                f"cannot open {self.format.label} image {path}: {exc}",
                hint="the file is damaged or not this format; a VMDK's extent files must sit beside it",
            ) from exc

    def _close(self) -> None:
        for handle in self._handles:  # the child before its parents: it reads through them
            handle.close()
        self._handles = []
