"""How much of an NTFS $DATA stream is initialised, read from the file's MFT record in the image.

An NTFS stream has three sizes: allocated (its clusters), data (the file's size) and initialised (how far
it was ever written: Windows may extend a file without writing the new part). TSK reads every byte past
the initialised size as zeros, whatever its clusters hold; a reader that follows the runs must do the
same. pytsk3 shows a stream's runs and data size but not its initialised size (TSK's ``nrd.initsize``),
so :class:`MftRecords` reads it from the file's MFT record, found through $MFT's own runs: the record's
update sequence applied, the one non-resident $DATA attribute with the stream's id in the base record.

A file whose attributes outgrow one record (a heavily fragmented file, many named streams, many hard
links) has an $ATTRIBUTE_LIST naming the extension records that hold the rest, and a stream may be split
over several of them by cluster (VCN) ranges. TSK joins the pieces' runs into one stream and takes its
sizes from the first piece it loads; :meth:`MftRecords.initialised` follows the list to that piece, in
TSK's order, and checks that TSK's id for the stream (TSK renumbers attributes of extension records) is
the one asked for.

Anything short of that (no such record, a damaged one, a first piece that is not the stream's start,
sizes other than TSK's) raises :class:`~vigilant.evidence.runs.NotCertain`, and TSK reads the stream.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
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
_REFERENCE = (1 << 48) - 1  # an MFT reference: the entry in its low 48 bits, a sequence number above
_LIST_MAX = 256 * 1024  # NTFS caps an attribute list at 256 KiB


class MftRecords:
    """The MFT records of one NTFS file system, read straight from the image; safe to share between
    threads once made (it only reads the image)."""

    def __init__(
        self, image: ImageReader, mft: list[Extent], record_size: int, *, block: int, fs_offset: int
    ) -> None:
        self._image = image
        self._mft = DirectRead(image, mft)
        self._mft_size = sum(e.length for e in mft)
        self._record_size = record_size
        self._block = block  # the cluster size, and where the file system starts: to read attribute lists
        self._fs_offset = fs_offset

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
        return cls(image, extents, record_size, block=block, fs_offset=fs_offset)

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

    def initialised(self, entry: int, attr_id: int, size: int, name: bytes | str | None = None) -> int:
        """How many bytes of the $DATA stream ``attr_id`` (TSK's id; ``name`` its name, None or empty for the
        unnamed one; ``size`` bytes, as TSK says) of MFT entry ``entry`` are initialised.

        Raises :class:`NotCertain` unless the records settle it: the base record's attribute, or, where the
        file's attributes spread over several records (an $ATTRIBUTE_LIST), the first piece of the stream
        TSK meets, which must be its start (TSK takes the stream's sizes from it and renumbers the pieces in
        extension records, so there the stream is found by its name)."""
        record = self.record(entry)
        _base_in_use(record, entry)
        attributes = _attributes(record, entry)
        listed = [a for a in attributes if a.kind == _ATTRIBUTE_LIST]
        if len(listed) > 1:
            raise NotCertain(f"MFT entry {entry}: {len(listed)} attribute lists")
        if listed:
            entries = _list_entries(self._attribute_list(entry, record, listed[0]), entry)
            piece = self._first_piece(
                entry, attributes, entries, list_id=listed[0].instance, attr_id=attr_id, name=name
            )
        else:
            found = [a for a in attributes if a.kind == _DATA and a.instance == attr_id]
            if len(found) != 1:
                raise NotCertain(f"MFT entry {entry}: {len(found)} $DATA attributes with id {attr_id}")
            piece = found[0]
        return _initialised_of(piece, entry, size)

    def _attribute_list(self, entry: int, record: bytearray, listed: _Attribute) -> bytes:
        """The content of the file's $ATTRIBUTE_LIST: in the record, or in the clusters its runs name."""
        if listed.resident:
            return bytes(record[listed.value])
        allocated, data, initialised = listed.sizes
        if initialised != data or data > _LIST_MAX:
            raise NotCertain(
                f"MFT entry {entry}: an attribute list of {data} bytes, {initialised} initialised"
            )
        content = bytearray()
        for cluster, count in _mapping_pairs(bytes(record[listed.value]), entry):
            if cluster is None:
                raise NotCertain(f"MFT entry {entry}: a sparse attribute list")
            want = min(count * self._block, data - len(content))
            try:
                got = self._image.read(self._fs_offset + cluster * self._block, want)
            except OSError as exc:
                raise NotCertain(f"its attribute list cannot be read: {exc}") from exc
            if len(got) != want:
                raise NotCertain(f"MFT entry {entry}: its attribute list lies past the image's end")
            content += got
            if len(content) >= data:
                break
        if len(content) != data or allocated < data:
            raise NotCertain(f"MFT entry {entry}: its attribute list's runs do not cover it")
        return bytes(content)

    def _first_piece(
        self,
        entry: int,
        base: list[_Attribute],
        entries: list[_Listed],
        *,
        list_id: int,
        attr_id: int,
        name: bytes | str | None,
    ) -> _Attribute:
        """The first piece of the $DATA stream ``name`` (TSK's ``attr_id``) in the order TSK loads them: the
        base record's attributes, then each extension record the list names, in the order it first names
        them (``list_id``: the id of the list itself in the base record)."""
        wanted = name.decode("utf-8", errors="replace") if isinstance(name, bytes) else name or ""
        if (
            _tsk_id(entries, entry, list_id, wanted) != attr_id
        ):  # the name and the id must say the same stream
            raise NotCertain(f"MFT entry {entry}: the stream {wanted!r} does not have TSK's id {attr_id}")
        starts = [e for e in entries if e.kind == _DATA and e.name == wanted and e.start_vcn == 0]
        if len(starts) != 1:
            raise NotCertain(
                f"MFT entry {entry}: its attribute list names {len(starts)} starts of that stream"
            )
        extensions = list(dict.fromkeys(e.entry for e in entries if e.entry != entry))
        for where in [entry, *extensions]:
            if where == entry:
                attributes = base
            else:
                record = self.record(where)
                (owner,) = struct.unpack_from("<Q", record, 0x20)
                flags = struct.unpack_from("<H", record, 0x16)[0]
                if owner & _REFERENCE != entry or not flags & _IN_USE:
                    raise NotCertain(f"MFT entry {where} is not an extension record of entry {entry} in use")
                attributes = _attributes(record, where)
            for attribute in attributes:
                if attribute.kind == _DATA and attribute.name == wanted:
                    if (where, attribute.instance) != (starts[0].entry, starts[0].instance):
                        raise NotCertain(
                            f"MFT entry {entry}: the stream's first piece is not where its list says"
                        )
                    return attribute
        raise NotCertain(f"MFT entry {entry}: the stream is in none of its records")


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


@dataclass(frozen=True)
class _Attribute:
    """One attribute of an MFT record, as far as reading a stream along its runs needs it."""

    kind: int
    name: str
    instance: int  # its id within its record
    resident: bool
    flags: int
    value: slice  # resident: its value; non-resident: its mapping pairs (in the record)
    start_vcn: int = 0
    sizes: tuple[int, int, int] = (0, 0, 0)  # allocated, data, initialised: a stream's first piece holds them


@dataclass(frozen=True)
class _Listed:
    """One entry of an $ATTRIBUTE_LIST: which record holds a piece of which attribute, from which cluster."""

    kind: int
    name: str
    start_vcn: int
    entry: int
    instance: int


def _base_in_use(record: bytearray, entry: int) -> None:
    flags = struct.unpack_from("<H", record, 0x16)[0]
    (base,) = struct.unpack_from("<Q", record, 0x20)
    if not flags & _IN_USE or base != 0:
        raise NotCertain(f"MFT entry {entry} is not a base record in use")


def _attributes(record: bytearray, entry: int) -> list[_Attribute]:
    """The attributes of an MFT record (its update sequence applied), in their order there."""
    (position,) = struct.unpack_from("<H", record, 0x14)
    (used,) = struct.unpack_from("<I", record, 0x18)
    used = min(used, len(record))
    found: list[_Attribute] = []
    while position + 16 <= used:
        kind, length = struct.unpack_from("<II", record, position)
        if kind == _END:
            break
        if length < 16 or position + length > used:
            raise NotCertain(f"MFT entry {entry}: attribute out of bounds")
        resident = record[position + 8] == 0
        name_length, name_offset, flags, instance = struct.unpack_from("<BHHH", record, position + 9)
        if name_offset + 2 * name_length > length:
            raise NotCertain(f"MFT entry {entry}: attribute name out of bounds")
        at = position + name_offset
        name = bytes(record[at : at + 2 * name_length]).decode("utf-16-le", errors="replace")
        if resident:
            size, offset = struct.unpack_from("<IH", record, position + 0x10)
            if offset + size > length:
                raise NotCertain(f"MFT entry {entry}: resident value out of bounds")
            value = slice(position + offset, position + offset + size)
            found.append(_Attribute(kind, name, instance, True, flags, value))
        else:
            if length < 0x40:
                raise NotCertain(f"MFT entry {entry}: non-resident attribute header out of bounds")
            start_vcn, _, pairs, _, allocated, data, initialised = struct.unpack_from(
                "<QQHH4xQQQ", record, position + 0x10
            )
            if pairs > length:
                raise NotCertain(f"MFT entry {entry}: mapping pairs out of bounds")
            value = slice(position + pairs, position + length)
            sizes = (allocated, data, initialised)
            found.append(_Attribute(kind, name, instance, False, flags, value, start_vcn, sizes))
        position += length
    return found


def _initialised_of(piece: _Attribute, entry: int, size: int) -> int:
    """The initialised size a stream's first piece records, once its sizes agree with TSK's ``size``."""
    if piece.resident:
        raise NotCertain("its $DATA is resident in the MFT record")
    if piece.start_vcn != 0:
        raise NotCertain("its $DATA starts in another MFT record")
    if piece.flags & _FLAGS_READ_BY_TSK:
        raise NotCertain("its $DATA is compressed or encrypted")
    allocated, data, initialised = piece.sizes
    if data != size or not initialised <= data <= allocated:
        raise NotCertain(
            f"MFT entry {entry}: sizes allocated {allocated}, data {data}, initialised {initialised}"
            f" beside TSK's {size}"
        )
    return initialised


def _list_entries(listing: bytes, entry: int) -> list[_Listed]:
    """The entries of an $ATTRIBUTE_LIST's content."""
    entries: list[_Listed] = []
    position = 0
    while position + 0x1A <= len(listing):
        kind, length, name_length, name_offset, start_vcn, reference, instance = struct.unpack_from(
            "<IHBBQQH", listing, position
        )
        if length < 0x1A or position + length > len(listing) or name_offset + 2 * name_length > length:
            raise NotCertain(f"MFT entry {entry}: attribute list entry out of bounds")
        at = position + name_offset
        name = listing[at : at + 2 * name_length].decode("utf-16-le", errors="replace")
        entries.append(_Listed(kind, name, start_vcn, reference & _REFERENCE, instance))
        position += length
    return entries


def _tsk_id(entries: list[_Listed], entry: int, list_id: int, name: str) -> int | None:
    """The id TSK gives the $DATA stream ``name`` of a file with an attribute list (None: not listed).

    TSK keeps the id of an attribute whose first listed piece is in the base record; the others (their
    ids are unique only within their own record) are numbered on from the largest id the list holds, in the
    order the list first names them (``ntfs_proc_attrlist``).
    """
    next_id = max([list_id, *(e.instance for e in entries)])
    seen: set[tuple[int, str]] = set()
    for listed in entries:
        key = (listed.kind, listed.name)
        if key in seen:
            continue
        seen.add(key)
        if listed.entry != entry:
            next_id += 1
        if key == (_DATA, name):
            return listed.instance if listed.entry == entry else next_id
    return None


def _mapping_pairs(pairs: bytes, entry: int) -> list[tuple[int | None, int]]:
    """The (first cluster, or None where sparse; clusters) runs an attribute's mapping pairs encode."""
    runs: list[tuple[int | None, int]] = []
    position, cluster = 0, 0
    while position < len(pairs) and pairs[position]:
        header = pairs[position]
        count_size, offset_size = header & 0x0F, header >> 4
        end = position + 1 + count_size + offset_size
        if not count_size or count_size > 8 or offset_size > 8 or end > len(pairs):
            raise NotCertain(f"MFT entry {entry}: mapping pairs out of bounds")
        count = int.from_bytes(pairs[position + 1 : position + 1 + count_size], "little", signed=True)
        if count <= 0:
            raise NotCertain(f"MFT entry {entry}: a run of {count} clusters")
        if offset_size:
            cluster += int.from_bytes(pairs[position + 1 + count_size : end], "little", signed=True)
            if cluster < 0:
                raise NotCertain(f"MFT entry {entry}: a run before the volume's start")
            runs.append((cluster, count))
        else:
            runs.append((None, count))
        position = end
    return runs
