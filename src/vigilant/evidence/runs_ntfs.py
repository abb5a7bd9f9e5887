"""How much of an NTFS $DATA stream is initialised, read from the file's MFT record in the image.

An NTFS stream has three sizes: allocated (its clusters), data (the file's size) and initialised (how far
it was ever written: Windows may extend a file without writing the new part). TSK reads every byte past
the initialised size as zeros, whatever its clusters hold; a reader that follows the runs must do the
same. pytsk3 shows a stream's runs and data size but not its initialised size (TSK's ``nrd.initsize``),
so :class:`MftRecords` reads it from the file's MFT record, found through $MFT's own runs: the record's
update sequence applied, the one non-resident $DATA attribute with the stream's id in the base record.

Anything short of that (no such record, a damaged one, the stream described by an attribute list across
several records, sizes other than TSK's) raises :class:`~vigilant.evidence.runs.NotCertain`, and TSK
reads the stream.
"""

from __future__ import annotations

import struct
from typing import Any

import pytsk3

from vigilant.evidence.images import ImageReader
from vigilant.evidence.runs import Extent, NotCertain, along_runs
from vigilant.evidence.tsk_reader import DirectRead

_MFT_ENTRY = 0  # $MFT describes itself in entry 0
_DATA = 0x80
_ATTRIBUTE_LIST = 0x20
_END = 0xFFFFFFFF
_IN_USE = 0x0001
_STRIDE = 512  # the update sequence guards the last two bytes of every 512 bytes of a record
_FLAGS_READ_BY_TSK = 0x00FF | 0x4000  # compression method, encrypted: never read along the runs


class MftRecords:
    """The MFT records of one NTFS file system, read straight from the image; safe to share between
    threads once made (it only reads the image)."""

    def __init__(self, image: ImageReader, mft: list[Extent], record_size: int) -> None:
        self._mft = DirectRead(image, mft)
        self._mft_size = sum(e.length for e in mft)
        self._record_size = record_size

    @classmethod
    def open(cls, fs: Any, image: ImageReader, fs_offset: int) -> MftRecords:
        """The records of the NTFS file system ``fs`` (pytsk3 FS_Info at ``fs_offset`` in ``image``).

        Call with the walker's lock held; raises :class:`NotCertain` when $MFT cannot be placed.
        """
        info = fs.info
        block = int(info.block_size)
        try:
            boot = image.read(fs_offset, 512)
        except OSError as exc:
            raise NotCertain(f"its boot sector cannot be read: {exc}") from exc
        if len(boot) != 512 or boot[3:11] != b"NTFS    ":
            raise NotCertain("its boot sector is not NTFS's")
        sector, per_cluster = struct.unpack_from("<HB", boot, 0x0B)
        clusters = per_cluster if per_cluster <= 0x80 else 1 << (256 - per_cluster)
        if sector * clusters != block:
            raise NotCertain("its boot sector and TSK disagree on the cluster size")
        per_record = struct.unpack_from("<b", boot, 0x40)[0]  # clusters, or (negative) a power of two
        record_size = per_record * block if per_record > 0 else 1 << -per_record
        if record_size < _STRIDE or record_size % _STRIDE:
            raise NotCertain(f"an MFT record size of {record_size} bytes")
        mft_file = fs.open_meta(inode=_MFT_ENTRY)
        data = [a for a in mft_file if int(a.info.type) == _DATA and not a.info.name]
        if len(data) != 1 or not int(data[0].info.flags) & int(pytsk3.TSK_FS_ATTR_NONRES):
            raise NotCertain("$MFT has no single non-resident $DATA stream")
        extents = along_runs(
            data[0],
            block=block,
            last_block=int(info.last_block),
            size=int(data[0].info.size),
            fs_offset=fs_offset,
        )
        if any(e.image_offset is None or e.image_offset + e.length > image.size for e in extents):
            raise NotCertain("$MFT is not all in the image")
        return cls(image, extents, record_size)

    def record(self, entry: int) -> bytearray:
        """MFT entry ``entry``'s record with its update sequence applied (the bytes it stands for)."""
        position = entry * self._record_size
        if entry < 0 or position + self._record_size > self._mft_size:
            raise NotCertain(f"MFT entry {entry} is past $MFT's end")
        record = bytearray(self._record_size)
        try:
            self._mft.readinto(position, memoryview(record), f"MFT entry {entry}")
        except OSError as exc:  # TSK reads the stream, and says what it can of it
            raise NotCertain(f"its MFT record cannot be read: {exc}") from exc
        if record[:4] != b"FILE":
            raise NotCertain(f"MFT entry {entry} has no FILE record")
        usa_offset, usa_count = struct.unpack_from("<HH", record, 4)
        if usa_count != self._record_size // _STRIDE + 1 or usa_offset + 2 * usa_count > self._record_size:
            raise NotCertain(f"MFT entry {entry}: update sequence out of bounds")
        usn = record[usa_offset : usa_offset + 2]
        for i in range(1, usa_count):
            end = i * _STRIDE - 2
            if record[end : end + 2] != usn:
                raise NotCertain(f"MFT entry {entry}: torn record (update sequence mismatch)")
            record[end : end + 2] = record[usa_offset + 2 * i : usa_offset + 2 * i + 2]
        return record

    def initialised(self, entry: int, attr_id: int, size: int) -> int:
        """How many bytes of the $DATA stream ``attr_id`` (of ``size`` bytes, as TSK says) of MFT entry
        ``entry`` are initialised; raises :class:`NotCertain` unless the base record settles it."""
        record = self.record(entry)
        flags, used = struct.unpack_from("<HI", record, 0x16)
        (base,) = struct.unpack_from("<Q", record, 0x20)
        if not flags & _IN_USE or base != 0:
            raise NotCertain(f"MFT entry {entry} is not a base record in use")
        (position,) = struct.unpack_from("<H", record, 0x14)
        used = min(used, len(record))
        found: list[tuple[int, int, int, int]] = []  # (attribute flags, allocated, data, initialised)
        while position + 16 <= used:
            kind, length = struct.unpack_from("<II", record, position)
            if kind == _END:
                break
            if length < 16 or position + length > used:
                raise NotCertain(f"MFT entry {entry}: attribute out of bounds")
            if kind == _ATTRIBUTE_LIST:
                raise NotCertain("its attributes spread over several MFT records")
            resident = record[position + 8] == 0
            attribute_flags, instance = struct.unpack_from("<HH", record, position + 0x0C)
            if kind == _DATA and instance == attr_id:
                if resident or length < 0x40:
                    raise NotCertain("its $DATA is resident in the MFT record")
                start_vcn, _, _, _, allocated, data, initialised = struct.unpack_from(
                    "<QQHH4xQQQ", record, position + 0x10
                )
                if start_vcn != 0:
                    raise NotCertain("its $DATA starts in another MFT record")
                found.append((attribute_flags, allocated, data, initialised))
            position += length
        if len(found) != 1:
            raise NotCertain(f"MFT entry {entry}: {len(found)} $DATA attributes with id {attr_id}")
        attribute_flags, allocated, data, initialised = found[0]
        if attribute_flags & _FLAGS_READ_BY_TSK:
            raise NotCertain("its $DATA is compressed or encrypted")
        if data != size or not initialised <= data <= allocated:
            raise NotCertain(
                f"MFT entry {entry}: sizes allocated {allocated}, data {data}, initialised {initialised}"
                f" beside TSK's {size}"
            )
        return initialised


class MftRecordsByVolume:
    """Each NTFS file system's :class:`MftRecords`, made on first use and kept (or why it cannot be)."""

    def __init__(self) -> None:
        # keyed by the owner's id; the owner is kept too, so that its id cannot be reused meanwhile
        self._held: dict[int, tuple[object, MftRecords | str]] = {}

    def records(self, owner: object, fs: Any, image: ImageReader, fs_offset: int) -> MftRecords:
        """The records of ``fs`` (opened for ``owner``); call with the walker's lock held."""
        held = self._held.get(id(owner))
        if held is None:
            try:
                made: MftRecords | str = MftRecords.open(fs, image, fs_offset)
            except NotCertain as exc:
                made = str(exc)
            held = self._held[id(owner)] = (owner, made)
        if isinstance(held[1], str):
            raise NotCertain(f"$MFT cannot be placed: {held[1]}")
        return held[1]
