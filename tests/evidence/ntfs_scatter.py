"""Write a sparse file into an NTFS image in many pieces, through libntfs-3g: more runs than one MFT record
holds.

``python -m tests.evidence.ntfs_scatter IMAGE PATH CONTENT CHUNK`` grows the (existing, empty) file PATH to
CONTENT's size, which leaves it one sparse run (ntfs_attr_truncate, as the ntfs-3g driver does on a
truncate), then writes every other CHUNK bytes of CONTENT (the first, the third, …): the file alternates
between runs of clusters and sparse runs, as many as pieces. Once their mapping pairs outgrow the base MFT
record, ntfs-3g moves them into extension records and writes an $ATTRIBUTE_LIST, as Windows does for a heavily
fragmented file. The pieces not written read as zeros. In its own process (as ``ntfs_tool``) so that a fault
in native code fails one test, not the run.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
from pathlib import Path

_DATA = 0x80
_LIBRARY = "libntfs-3g.so.89"


def written(content: bytes, chunk: int) -> bytes:
    """What the file holds once scattered: CONTENT with every other CHUNK bytes (the second, …) zeros."""
    out = bytearray(len(content))
    for start in range(0, len(content), 2 * chunk):
        out[start : start + chunk] = content[start : start + chunk]
    return bytes(out)


def scatter(image: str, path: str, content: bytes, chunk: int) -> None:
    lib = ctypes.CDLL(ctypes.util.find_library("ntfs-3g") or _LIBRARY, use_errno=True)
    ptr = ctypes.c_void_p
    lib.ntfs_mount.restype = ptr
    lib.ntfs_mount.argtypes = [ctypes.c_char_p, ctypes.c_int]
    lib.ntfs_umount.argtypes = [ptr, ctypes.c_int]
    lib.ntfs_pathname_to_inode.restype = ptr
    lib.ntfs_pathname_to_inode.argtypes = [ptr, ptr, ctypes.c_char_p]
    lib.ntfs_attr_open.restype = ptr
    lib.ntfs_attr_open.argtypes = [ptr, ctypes.c_uint32, ptr, ctypes.c_uint32]
    lib.ntfs_attr_truncate.argtypes = [ptr, ctypes.c_int64]
    lib.ntfs_attr_pwrite.restype = ctypes.c_int64
    lib.ntfs_attr_pwrite.argtypes = [ptr, ctypes.c_int64, ctypes.c_int64, ctypes.c_char_p]
    lib.ntfs_attr_close.argtypes = [ptr]
    lib.ntfs_inode_close.argtypes = [ptr]
    unnamed = ctypes.addressof(ctypes.c_uint16.in_dll(lib, "AT_UNNAMED"))
    volume = lib.ntfs_mount(image.encode(), 0)  # 0: read-write
    if not volume:
        raise SystemExit(f"ntfs_scatter: mount {image} failed")
    try:
        inode = lib.ntfs_pathname_to_inode(volume, None, path.encode())
        if not inode:
            raise SystemExit(f"ntfs_scatter: no {path}")
        attribute = lib.ntfs_attr_open(inode, _DATA, unnamed, 0)
        if not attribute or lib.ntfs_attr_truncate(attribute, len(content)):
            raise SystemExit(f"ntfs_scatter: cannot grow {path}")
        for start in range(0, len(content), 2 * chunk):
            piece = content[start : start + chunk]
            if lib.ntfs_attr_pwrite(attribute, start, len(piece), piece) != len(piece):
                raise SystemExit(f"ntfs_scatter: cannot write {path} at {start}")
        lib.ntfs_attr_close(attribute)
        lib.ntfs_inode_close(inode)
    finally:
        if lib.ntfs_umount(volume, 0):
            raise SystemExit("ntfs_scatter: unmount failed")


if __name__ == "__main__":
    scatter(sys.argv[1], sys.argv[2], Path(sys.argv[3]).read_bytes(), int(sys.argv[4]))
