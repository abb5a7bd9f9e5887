"""A folder walked in place, read-only, into file entries.

Regular files only, in address order (sorted by path). Symbolic links are never followed, nor listed:
each is recorded in :attr:`DirectoryWalk.problems`, like special files (FIFOs, sockets, devices) and
folders that cannot be listed. Files are opened ``O_RDONLY`` and, where the system allows it,
``O_NOATIME``, so that reading them does not even change their access times.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from types import TracebackType
from typing import BinaryIO, cast

from vigilant.evidence.address import Link, LinkKind
from vigilant.evidence.base import Address, EntryStatus, EvidenceError, FileEntry, Problem

_NOATIME = getattr(os, "O_NOATIME", 0)
_FOLDER = Link(LinkKind.FILE_SYSTEM, label="directory")  # every file's address starts from it


def open_readonly(path: bytes, extra: int = 0) -> int:
    """A read-only descriptor; without touching the access time when the system lets us."""
    flags = os.O_RDONLY | getattr(os, "O_BINARY", 0) | extra
    if _NOATIME:
        try:
            return os.open(path, flags | _NOATIME)
        except PermissionError:
            pass  # O_NOATIME needs ownership (or CAP_FOWNER): read without it
    return os.open(path, flags)


def _open_file(path: bytes) -> BinaryIO:
    return cast(BinaryIO, open(open_readonly(path), "rb", buffering=0))


def _utc_ns(ns: int) -> datetime | None:
    if not ns:
        return None
    seconds, rest = divmod(ns, 1_000_000_000)
    try:
        return datetime.fromtimestamp(seconds, UTC).replace(microsecond=rest // 1000)
    except (OverflowError, OSError, ValueError):
        return None


def _text(name: bytes) -> str:
    # Names that are not UTF-8 keep their bytes visible as \xNN escapes (and stay distinct); the opener
    # keeps the exact bytes.
    return name.decode("utf-8", errors="backslashreplace")


_KINDS = {
    stat.S_IFIFO: "a FIFO",
    stat.S_IFSOCK: "a socket",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
}


class DirectoryWalk:
    """One pass over a folder; a context manager (it holds nothing open between entries)."""

    def __init__(self, root: Path) -> None:
        if not root.is_dir():
            raise EvidenceError(f"{root} is not a folder", hint="give the folder that holds the evidence")
        self.root = root
        self.problems: list[Problem] = []
        self._visited: set[tuple[int, int]] = set()

    def __iter__(self) -> Iterator[FileEntry]:
        for os_path, path, info in self._files():
            yield self._entry(os_path, path, info)

    def sizes(self) -> Iterator[int]:
        """The size of each file :meth:`__iter__` lists, in the same order, without opening any of them:
        counting a folder this way costs half of listing it."""
        for _, _, info in self._files():
            yield info.st_size

    def _files(self) -> Iterator[tuple[bytes, str, os.stat_result]]:
        root = os.fsencode(self.root)
        info = os.stat(root)
        self._visited.add((info.st_dev, info.st_ino))
        stack = [iter(self._children(root, "/"))]
        while stack:
            item = next(stack[-1], None)
            if item is None:
                stack.pop()
                continue
            os_path, path, info = item
            if stat.S_ISDIR(info.st_mode):
                key = (info.st_dev, info.st_ino)
                if key not in self._visited:  # a folder mounted twice inside the tree: walk it once
                    self._visited.add(key)
                    stack.append(iter(self._children(os_path, path + "/")))
            else:
                yield os_path, path, info

    def _children(self, folder: bytes, prefix: str) -> list[tuple[bytes, str, os.stat_result]]:
        """Regular files and folders, in an order that makes paths come out sorted.

        A folder sorts as its name plus "/", which is where its contents fall among its siblings' paths
        ("a.txt" < "a/…" < "a0").
        """
        try:
            # Listed through a descriptor opened like the files (O_NOATIME): listing a folder does not
            # change its access time either.
            fd = open_readonly(folder, getattr(os, "O_DIRECTORY", 0))
        except OSError as exc:
            self.problems.append(Problem(prefix, f"cannot list the folder: {exc.strerror or exc}"))
            return []
        try:
            with os.scandir(fd) as listing:
                found = []
                for item in listing:
                    name = os.fsencode(item.name)  # scandir on a descriptor gives str names
                    text = _text(name)
                    os_path = os.path.join(folder, name)
                    try:
                        info = item.stat(follow_symlinks=False)
                    except OSError as exc:
                        self.problems.append(Problem(prefix + text, f"cannot stat: {exc.strerror or exc}"))
                        continue
                    mode = info.st_mode
                    if stat.S_ISLNK(mode):
                        target = _text(os.fsencode(os.readlink(item.name, dir_fd=fd)))
                        self.problems.append(
                            Problem(prefix + text, f"symbolic link to {target!r}: not followed, not listed")
                        )
                        continue
                    if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
                        kind = _KINDS.get(stat.S_IFMT(mode), "not a regular file")
                        self.problems.append(Problem(prefix + text, f"{kind}: skipped"))
                        continue
                    key = text + "/" if stat.S_ISDIR(mode) else text
                    found.append((key, os_path, prefix + text, info))
        except OSError as exc:
            self.problems.append(Problem(prefix, f"cannot list the folder: {exc.strerror or exc}"))
            return []
        finally:
            os.close(fd)
        found.sort(key=lambda f: f[0])
        return [(os_path, path, info) for _, os_path, path, info in found]

    def _entry(self, os_path: bytes, path: str, info: os.stat_result) -> FileEntry:
        # Open it once now, so that a file we may not read is reported here, with the system's reason.
        error = None
        try:
            os.close(open_readonly(os_path))
        except OSError as exc:
            error = f"cannot open: {exc.strerror or exc}"
        birth = getattr(info, "st_birthtime_ns", None) or 0
        return FileEntry(
            address=Address.of(Link(LinkKind.PATH, _FOLDER, path=path, inode=info.st_ino)),
            name=path.rsplit("/", 1)[-1],
            size=info.st_size,
            modified=_utc_ns(info.st_mtime_ns),
            accessed=_utc_ns(info.st_atime_ns),
            changed=_utc_ns(info.st_ctime_ns),
            created=_utc_ns(birth),
            status=EntryStatus.OK if error is None else EntryStatus.UNREADABLE,
            error=error,
            opener=partial(_open_file, os_path) if error is None else None,
        )

    def close(self) -> None:
        pass  # nothing is held between entries

    def __enter__(self) -> DirectoryWalk:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
