"""Thumbnails for review, made from the evidence on the server and sealed before they are stored.

Each picture gives two thumbnails: ``blurred`` (greyscale and blurred on the server: what the queue shows
by default, so the clear picture never reaches a browser before a reveal) and ``clear`` (sent only while a
reveal is open). A video gives the same pair for each of its first key frames: it is reviewed as a strip
of stills, never played. Both are JPEG, sealed with AES-256-GCM under the installation key
(:class:`~vigilant.security.secretbox.SecretBox`), each bound to its item, variant and frame so a sealed
blob copied onto another row does not open.

The evidence is only read (the source readers open it read-only); a file is found again by its place in
the walk (``position``) and, inside an archive, by its member names, exactly as triage addressed it.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable, Iterator, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image, ImageFilter, ImageOps, UnidentifiedImageError

from vigilant.evidence.archives import expand
from vigilant.evidence.base import FileEntry
from vigilant.evidence.items import EvidenceInfo
from vigilant.evidence.sources import sources
from vigilant.perceptual.pdq import PdqMethod, pdq_dihedral_of_pil
from vigilant.security.secretbox import SecretBox

CLEAR_SIDE = 512  # px: enough to categorise, far below the original
BLURRED_SIDE = 320
BLUR_RADIUS_SHARE = 0.04  # of the thumbnail's longer side: shapes and tones stay, details do not
KEY_FRAMES = 4  # a video's strip
MAX_READ = 256 * 1024 * 1024  # larger files are not read for a thumbnail (noted on the item instead)
JPEG_QUALITY = 80
Image.MAX_IMAGE_PIXELS = 200_000_000  # as triage: larger is refused as a decompression bomb

Key = tuple[int, tuple[str, ...]]  # (position, archive members)


@dataclass(frozen=True)
class Still:
    blurred: bytes
    clear: bytes


@dataclass
class Media:
    stills: list[Still] = field(default_factory=list)  # one for a picture; key frames for a video
    dihedral: list[tuple[bytes, int]] = field(default_factory=list)  # a picture's 8 PDQ hashes
    note: str | None = None  # why there are no stills


def blurred_of(image: Image.Image) -> bytes:
    """Greyscale, small and blurred: the default face of every item."""
    grey = ImageOps.grayscale(image)
    grey.thumbnail((BLURRED_SIDE, BLURRED_SIDE))
    radius = max(4.0, BLUR_RADIUS_SHARE * max(grey.size) * 2)
    return _jpeg(grey.filter(ImageFilter.GaussianBlur(radius)))


def still_of(image: Image.Image) -> Still:
    """Both thumbnails of a decoded picture or frame; the blurred one is made from the clear thumbnail."""
    clear = image.convert("RGB")
    clear.thumbnail((CLEAR_SIDE, CLEAR_SIDE))
    return Still(blurred_of(clear), _jpeg(clear))


def _jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=JPEG_QUALITY)
    return out.getvalue()


def stills_of_picture(data: bytes, pdq_method: str | None, *, dihedral: bool = True) -> Media:
    """The picture's two thumbnails and (``dihedral``) the eight dihedral PDQ hashes of the clear one, for
    stacking rotated and mirrored copies (PDQ looks at 64x64 cells: the thumbnail is plenty)."""
    try:
        with Image.open(io.BytesIO(data)) as opened:
            # Pillow's thumbnail decodes a JPEG at a reduced scale (draft): most of the time saved. A gap of
            # 1.0 lets the decoder go down to the thumbnail's own size (DCT scaling keeps it sharp enough to
            # categorise), where the default 2.0 decodes a 1024 px picture in full for a 512 px thumbnail.
            opened.thumbnail((CLEAR_SIDE, CLEAR_SIDE), reducing_gap=1.0)
            image = ImageOps.exif_transpose(opened).convert("RGB")
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        return Media(note=f"not decoded: {exc}")
    hashes: list[tuple[bytes, int]] = []
    if dihedral:
        method = PdqMethod(pdq_method) if pdq_method in {m.value for m in PdqMethod} else PdqMethod.FULL
        with suppress(Exception):  # a picture too small or flat for PDQ still gets its thumbnails
            hashes = pdq_dihedral_of_pil(image, method=method)
    return Media([still_of(image)], hashes)


def stills_of_video(data: bytes) -> Media:
    """The first key frames of a video (PyAV, the ``video`` extra), as stills; nothing is played."""
    try:
        import av  # noqa: PLC0415 - optional: only videos need it
    except ImportError:
        return Media(note="no key frames: PyAV (the video extra) is not installed")
    stills: list[Still] = []
    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            stream = container.streams.video[0]
            stream.codec_context.skip_frame = "NONKEY"
            for frame in container.decode(stream):
                image = frame.to_image()  # type: ignore[no-untyped-call]
                stills.append(still_of(image))
                if len(stills) >= KEY_FRAMES:
                    break
    except (av.FFmpegError, IndexError, ValueError) as exc:
        return Media(stills, note=None if stills else f"no key frame decoded: {exc}")
    return Media(stills, note=None if stills else "no key frame decoded")


def media_of(data: bytes, kind: str, pdq_method: str | None) -> Media:
    return stills_of_picture(data, pdq_method) if kind == "picture" else stills_of_video(data)


# --- sealing -------------------------------------------------------------------------------------------
def purpose(item_id: int, variant: str, frame: int) -> str:
    return f"review-media:{item_id}:{variant}:{frame}"


def seal(box: SecretBox, data: bytes, *, item_id: int, variant: str, frame: int) -> bytes:
    text = base64.b64encode(data).decode("ascii")
    return box.seal(text, purpose=purpose(item_id, variant, frame)).encode("ascii")


def unseal(box: SecretBox, sealed: bytes, *, item_id: int, variant: str, frame: int) -> bytes:
    return base64.b64decode(box.open(sealed.decode("ascii"), purpose=purpose(item_id, variant, frame)))


# --- reading the evidence ------------------------------------------------------------------------------
def read_files(
    evidence: EvidenceInfo, wanted: Mapping[Key, Any], *, archive_depth: int = 3
) -> Iterator[tuple[Key, bytes | None, str | None]]:
    """The content of each wanted file, found again by its triage address: (key, bytes, note)."""
    by_position: dict[int, set[tuple[str, ...]]] = {}
    for position, members in wanted:
        by_position.setdefault(position, set()).add(members)
    last = max(by_position, default=-1)
    with sources()[evidence.source_type].walk(Path(evidence.path)) as walk:
        for position, entry in enumerate(walk):
            if position > last:
                break
            names = by_position.get(position)
            if not names:
                continue
            if () in names:
                yield ((position, ()), *_content(entry))
            inner = names - {()}
            if inner:
                yield from _members(position, entry, inner, archive_depth)


def _members(
    position: int, entry: FileEntry, wanted: set[tuple[str, ...]], depth: int
) -> Iterator[tuple[Key, bytes | None, str | None]]:
    for item in expand(entry, max_depth=depth):
        if isinstance(item, FileEntry) and item.address.members in wanted:
            yield ((position, item.address.members), *_content(item))


def _content(entry: FileEntry) -> tuple[bytes | None, str | None]:
    if entry.size > MAX_READ:
        return None, f"larger than {MAX_READ >> 20} MiB: no thumbnail made"
    try:
        with entry.open() as stream:
            return stream.read(MAX_READ + 1), None
    except (OSError, ValueError) as exc:
        return None, f"could not be read: {exc}"


Reader = Callable[[EvidenceInfo, Mapping[Key, Any]], Iterator[tuple[Key, bytes | None, str | None]]]
