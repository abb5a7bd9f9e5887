"""Resource forks: the second stream a Mac file can carry (HFS+ and APFS), a file of its own in a run.

A file on HFS+ has a data fork (what every tool shows) and a resource fork, which the Finder hides and which
can hold anything: an icon, a whole picture. Left out, it is a place to hide content from triage. Each
non-empty resource fork is listed as a stream of its file, named ``rsrc`` (the address ends ``path:rsrc``,
as an NTFS named stream's ends ``path:name``), hashed and matched like any file.

* HFS+ (The Sleuth Kit): the fork is the file's RSRC attribute. A file compressed by the file system
  (decmpfs) keeps its compressed content in the resource fork, which TSK already reads, decompressed, as the
  file's data: that fork is not listed again.
* APFS (libfsapfs): the fork is the extended attribute ``com.apple.ResourceFork``; a compressed file's
  (``com.apple.decmpfs``) is its data, which libfsapfs reads decompressed: not listed again.
"""

from __future__ import annotations

from typing import Any

import pytsk3

from vigilant.evidence.tsk_reader import Stream

RESOURCE_FORK = "rsrc"  # the stream's name in addresses
APFS_RESOURCE_FORK = "com.apple.ResourceFork"  # the extended attribute that holds it on APFS
_APFS_COMPRESSED = "com.apple.decmpfs"  # a file compressed by the file system: its fork is its data
_HFS_RSRC = int(pytsk3.TSK_FS_ATTR_TYPE_HFS_RSRC)


def hfs_streams(fs_file: Any, meta: Any) -> list[Stream]:
    """An HFS+ file's streams (pytsk3 File and its metadata): its data, then its resource fork if it has
    one with content; loading the attributes raises OSError when they are damaged."""
    streams = [Stream(None, pytsk3.TSK_FS_ATTR_TYPE_DEFAULT, -1, int(meta.size))]
    if int(meta.flags) & int(pytsk3.TSK_FS_META_FLAG_COMP):
        return streams  # the fork holds the compressed data, read (decompressed) as the file itself
    for attribute in fs_file:
        info = attribute.info
        if int(info.type) == _HFS_RSRC and int(info.size) > 0:
            streams.append(Stream(RESOURCE_FORK, _HFS_RSRC, int(info.id), int(info.size)))
    return streams


def apfs_resource_fork(entry: Any) -> Any | None:
    """The extended attribute holding an APFS file's resource fork (a pyfsapfs file entry), if it has one
    with content; call with the walker's lock held."""
    attributes = {str(attribute.name): attribute for attribute in entry.extended_attributes}
    fork = attributes.get(APFS_RESOURCE_FORK)
    if fork is None or not int(fork.size or 0) or _APFS_COMPRESSED in attributes:
        return None  # none, empty, or the compressed data of the file, which libfsapfs reads as its data
    return fork
