"""Make folders and delete files inside an NTFS image file, through libntfs-3g (the ntfs-3g driver's library).

ntfs-3g's command-line tools can copy files into an image (``ntfscp``) but neither make folders nor delete
(that needs the FUSE mount, which test machines do not have). The library they are built on does both,
exactly as the driver does: this script calls it with ctypes. It runs in its own process
(``python -m tests.evidence.ntfs_tool IMAGE OP…``) so that a fault in native code fails one test, not the run.

Operations: ``mkdir:/path`` and ``rm:/path`` (a file, or an empty folder).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys

_S_IFDIR = 0o040000
_LIBRARY = "libntfs-3g.so.89"


def _library() -> ctypes.CDLL:
    name = ctypes.util.find_library("ntfs-3g") or _LIBRARY
    lib = ctypes.CDLL(name, use_errno=True)
    ptr = ctypes.c_void_p
    lib.ntfs_mount.restype = ptr
    lib.ntfs_mount.argtypes = [ctypes.c_char_p, ctypes.c_int]
    lib.ntfs_umount.argtypes = [ptr, ctypes.c_int]
    lib.ntfs_pathname_to_inode.restype = ptr
    lib.ntfs_pathname_to_inode.argtypes = [ptr, ptr, ctypes.c_char_p]
    lib.ntfs_mbstoucs.restype = ctypes.c_int
    lib.ntfs_mbstoucs.argtypes = [ctypes.c_char_p, ctypes.POINTER(ptr)]
    lib.ntfs_create.restype = ptr
    lib.ntfs_create.argtypes = [ptr, ctypes.c_uint32, ptr, ctypes.c_uint8, ctypes.c_uint32]
    lib.ntfs_inode_close.argtypes = [ptr]
    # ntfs_delete(vol, pathname, ni, dir_ni, name, name_len): closes ni, leaves dir_ni open.
    lib.ntfs_delete.argtypes = [ptr, ctypes.c_char_p, ptr, ptr, ptr, ctypes.c_uint8]
    return lib


def _fail(what: str) -> None:
    err = ctypes.get_errno()
    raise SystemExit(f"ntfs_tool: {what}: {os.strerror(err) if err else 'failed'}")


def _apply(lib: ctypes.CDLL, libc: ctypes.CDLL, volume: int, operation: str) -> None:
    kind, _, path = operation.partition(":")
    parent, _, name = path.rpartition("/")
    folder = lib.ntfs_pathname_to_inode(volume, None, (parent or "/").encode())
    if not folder:
        _fail(f"find {parent or '/'}")
    uname = ctypes.c_void_p()
    length = lib.ntfs_mbstoucs(name.encode(), ctypes.byref(uname))
    if length <= 0:
        _fail(f"convert {name!r}")
    try:
        if kind == "mkdir":
            made = lib.ntfs_create(folder, 0, uname, length, _S_IFDIR)
            if not made:
                _fail(f"mkdir {path}")
            lib.ntfs_inode_close(made)
        elif kind == "rm":
            target = lib.ntfs_pathname_to_inode(volume, None, path.encode())
            if not target:
                _fail(f"find {path}")
            if lib.ntfs_delete(volume, path.encode(), target, folder, uname, length):
                _fail(f"rm {path}")
        else:
            raise SystemExit(f"ntfs_tool: unknown operation {operation!r}")
    finally:
        lib.ntfs_inode_close(folder)
        libc.free(uname)


def main(image: str, operations: list[str]) -> None:
    lib = _library()
    libc = ctypes.CDLL(None)
    libc.free.argtypes = [ctypes.c_void_p]
    # One mount per operation, as separate commands would do: the library's caches then never decide
    # (as they can within one mount) that a folder just emptied still has entries.
    for operation in operations:
        volume = lib.ntfs_mount(image.encode(), 0)  # 0: read-write
        if not volume:
            _fail(f"mount {image}")
        try:
            _apply(lib, libc, volume, operation)
        finally:
            if lib.ntfs_umount(volume, 0):
                _fail("unmount")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
