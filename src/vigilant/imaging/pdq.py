"""PDQ perceptual hashes of image files, as Meta's reference computes them, fast enough for triage.

The pipeline is: decode with Pillow (a JPEG decodes at a reduced DCT scale — "draft" — when it is larger than
needed), bring any Pillow mode to 8-bit RGB or grey, downscale so the longest side is at most
:data:`PDQ_MAX_SIDE` pixels (the PDQ reference does the same; it hardly moves the hash and makes hashing ~10x
faster), then :func:`pdqhash.compute`. Hashes are 32 raw bytes, bit 0 of the hash in the most significant
bit of the first byte — the same hex text as the reference tools and python-threatexchange.

EXIF orientation is deliberately *not* applied: PDQ hashes the stored pixels (so do hash lists made by
other tools), and rotated or flipped copies are found with the eight dihedral hashes instead.

Alpha is dropped, not composited: python-threatexchange and the C++ reference hash the colour channels
only, and hash sets from them are what we match against.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Final, TypeVar

import numpy as np
import numpy.typing as npt
import pdqhash
from PIL import Image, UnidentifiedImageError

from vigilant.digests import PDQ
from vigilant.errors import BadInputError, NotFoundError

PDQ_MIN_QUALITY: Final = 50
"""Below this quality a hash is not usable for matching (flat or nearly flat images all look alike)."""

PDQ_MAX_SIDE: Final = 512
"""Images are downscaled so their longest side is at most this many pixels before hashing."""

DIHEDRAL_ORDER: Final = (
    "original",
    "rotate-90",
    "rotate-180",
    "rotate-270",
    "flip-x",
    "flip-y",
    "flip-plus-1",
    "flip-minus-1",
)
"""The order of the eight hashes :func:`pdq_dihedral` returns (pdqhash's own order)."""

ImageSource = str | os.PathLike[str] | IO[bytes]
_T = TypeVar("_T")

# Modes hashed as they are; everything else is first brought to one of these.
_READY_MODES: Final = frozenset({"L", "RGB"})
# Numeric single-band modes whose values are not 0..255 bytes: stretched by their own range (see _to_uint8).
_NUMERIC_MODES: Final = frozenset({"I", "F"})
_GREY_VIA_L: Final = frozenset({"1", "LA"})

# What a broken or hostile file can make Pillow raise while opening or decoding. Pillow's plugins are not
# uniform (some raise SyntaxError or struct.error on bad headers), so the list is wide but named, so that a
# bug of ours (TypeError, AttributeError, …) still surfaces as itself.
_DECODE_FAILURES: Final = (
    OSError,  # includes UnidentifiedImageError and "image file is truncated"
    ValueError,
    SyntaxError,
    EOFError,
    IndexError,
    KeyError,
    struct.error,
)


class ImageDecodeError(BadInputError):
    """An image file cannot be decoded (corrupt, truncated, unsupported, or refused as too large)."""


@dataclass(frozen=True, slots=True)
class PdqResult:
    """The PDQ hash of one image, its quality (0..100) and the stored image's size in pixels."""

    hash: bytes
    quality: int
    width: int
    height: int

    @property
    def hex(self) -> str:
        return PDQ.format(self.hash)

    @property
    def usable(self) -> bool:
        """True when the hash is good enough to match on (quality >= :data:`PDQ_MIN_QUALITY`)."""
        return self.quality >= PDQ_MIN_QUALITY


def pdq_of_image(source: ImageSource) -> PdqResult:
    """PDQ hash of an image file (a path or a binary file object).

    Raises :class:`ImageDecodeError` naming the file when it is not a decodable image, and
    :class:`~vigilant.errors.NotFoundError` when a path does not exist.
    """
    return _with_image(source, lambda pixels, size: _result(_hash(pixels), size))


def pdq_dihedral(source: ImageSource) -> list[tuple[bytes, int]]:
    """The eight dihedral PDQ hashes (rotations and flips, see :data:`DIHEDRAL_ORDER`) with the quality.

    Look up all eight against a library to find rotated or mirrored copies of a known image.
    """
    return _with_image(source, lambda pixels, _size: _dihedral(pixels))


def pdq_of_pil(image: Image.Image, *, draft: bool = False) -> PdqResult:
    """PDQ hash of an image already opened with Pillow (e.g. by code that also reads its EXIF).

    With ``draft=True`` a JPEG that is not loaded yet decodes at a reduced scale, which is faster but changes
    ``image.size`` in place: pass it only for an image that is yours. ``width``/``height`` in the result are
    the stored size either way.
    """
    name = _describe(image)
    size = image.size
    with _decode_errors(name):
        if draft:
            _draft(image)
        return _result(_hash(_prepare(image, name)), size)


def pdq_dihedral_of_pil(image: Image.Image, *, draft: bool = False) -> list[tuple[bytes, int]]:
    """:func:`pdq_dihedral` for an image already opened with Pillow (``draft`` as in :func:`pdq_of_pil`)."""
    name = _describe(image)
    with _decode_errors(name):
        if draft:
            _draft(image)
        return _dihedral(_prepare(image, name))


def hash_bits_to_bytes(bits: npt.NDArray[np.integer]) -> bytes:
    """pdqhash's 256 0/1 values -> 32 bytes, first bit most significant (the reference's hex order)."""
    return np.packbits(bits.astype(np.uint8, copy=False)).tobytes()


# --- internals ------------------------------------------------------------------------------------------


def _with_image(source: ImageSource, work: Callable[[npt.NDArray[np.uint8], tuple[int, int]], _T]) -> _T:
    name = _source_name(source)
    with _decode_errors(name), Image.open(source) as im:
        size = im.size
        _draft(im)
        return work(_prepare(im, name), size)


@contextmanager
def _decode_errors(name: str) -> Iterator[None]:
    """Turn whatever Pillow raises for a bad file into an :class:`ImageDecodeError` that names the file."""
    try:
        yield
    except (ImageDecodeError, NotFoundError):
        raise
    except FileNotFoundError as exc:
        raise NotFoundError(f"image file {name} does not exist", hint="check the path") from exc
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # Pillow refuses images over 2 x MAX_IMAGE_PIXELS and warns above MAX_IMAGE_PIXELS; the warning
        # arrives here only where warnings are errors (pytest, -W error), and is then a refusal too.
        raise ImageDecodeError(
            f"refused {name}: {exc}",
            hint="it may be a decompression bomb; raise PIL.Image.MAX_IMAGE_PIXELS if it is a genuine image",
        ) from exc
    except UnidentifiedImageError as exc:
        raise ImageDecodeError(
            f"cannot decode {name}: not an image format Pillow can read",
            hint="the file may be corrupt or not an image at all",
        ) from exc
    except _DECODE_FAILURES as exc:
        raise ImageDecodeError(
            f"cannot decode {name}: {exc}", hint="the file may be corrupt or truncated"
        ) from exc


def _source_name(source: ImageSource) -> str:
    if isinstance(source, str | os.PathLike):
        return os.fspath(source)
    name = getattr(source, "name", None)
    return name if isinstance(name, str) else "<image stream>"


def _describe(image: Image.Image) -> str:
    filename = getattr(image, "filename", "")
    return filename if isinstance(filename, str) and filename else f"<{image.mode} image {image.size}>"


def _draft(im: Image.Image) -> None:
    """Ask a not-yet-decoded JPEG to decode at the smallest DCT scale that keeps the longest side >= 512.

    Pillow picks the scale from ``min(width // w, height // h)``, so the request must have the image's own
    proportions: asking for (512, 512) would keep a 1024x768 photo at full size. Other formats ignore this.
    """
    width, height = im.size
    longest = max(width, height)
    if longest <= PDQ_MAX_SIDE:
        return
    im.draft("RGB", (max(1, PDQ_MAX_SIDE * width // longest), max(1, PDQ_MAX_SIDE * height // longest)))


def _prepare(im: Image.Image, name: str) -> npt.NDArray[np.uint8]:
    """Decode ``im`` to an (H, W, 3) uint8 array (a grey image is a read-only view repeating one band)."""
    im = _canonical_mode(im, name)
    width, height = im.size
    if max(width, height) > PDQ_MAX_SIDE:
        scale = PDQ_MAX_SIDE / max(width, height)
        # BOX averages every source pixel, like the reference's area downscale; it measured as close to the
        # reference hashes as LANCZOS and is the cheapest.
        im = im.resize((max(1, round(width * scale)), max(1, round(height * scale))), Image.Resampling.BOX)
    array = _to_uint8(im)
    if array.ndim == 2:
        # pdqhash wants three channels; its luma of (g, g, g) is g, so a zero-stride view costs nothing.
        return np.broadcast_to(array[:, :, np.newaxis], (*array.shape, 3))
    return array


def _canonical_mode(im: Image.Image, name: str) -> Image.Image:
    mode = im.mode
    if mode in _READY_MODES or mode in _NUMERIC_MODES:
        return im
    if mode.startswith("I;16"):
        return im.convert("I")
    if mode in _GREY_VIA_L:
        return im.convert("L")
    if mode == "La":  # premultiplied: Pillow only converts it back to LA
        return im.convert("LA").convert("L")
    # P, PA, RGBA, RGBa, RGBX, CMYK, YCbCr, HSV, LAB (through littlecms), …: Pillow's own conversions.
    try:
        return im.convert("RGB")
    except ValueError as exc:
        raise ImageDecodeError(
            f"cannot hash {name}: Pillow cannot convert its mode {mode!r} to RGB",
            hint="convert the image to an 8-bit format first",
        ) from exc


def _to_uint8(im: Image.Image) -> npt.NDArray[np.uint8]:
    if im.mode in _READY_MODES:
        return np.asarray(im)
    values = np.asarray(im)
    if im.mode == "I":
        smallest, largest = int(values.min()), int(values.max())
        if smallest >= 0 and largest <= 255:
            # 8-bit data in a 32-bit container (Pillow opens some PNGs and TIFFs so): keep it bit-exact.
            return values.astype(np.uint8)
        return _stretch(values.astype(np.float64), float(smallest), float(largest))
    # F: floats have no canonical scale (0..1 and 0..255 are both common), and may hold NaN or infinities.
    floats = values.astype(np.float64)
    finite = np.isfinite(floats)
    if not finite.any():
        return np.zeros(floats.shape, np.uint8)
    low, high = float(floats[finite].min()), float(floats[finite].max())
    floats[~finite] = low
    return _stretch(floats, low, high)


def _stretch(values: npt.NDArray[np.float64], low: float, high: float) -> npt.NDArray[np.uint8]:
    """Map low..high linearly onto 0..255.

    Clipping would flatten 16-bit or float images to white; a positive linear map of the luma leaves the PDQ
    hash unchanged (DCT then median threshold) except for rounding, so stretching loses nothing.
    """
    if high <= low:
        return np.zeros(values.shape, np.uint8)
    out = (values - low) * (255.0 / (high - low))
    return np.rint(out, out=out).astype(np.uint8)


def _hash(pixels: npt.NDArray[np.uint8]) -> tuple[bytes, int]:
    bits, quality = pdqhash.compute(pixels)
    return hash_bits_to_bytes(bits), int(quality)


def _result(hashed: tuple[bytes, int], size: tuple[int, int]) -> PdqResult:
    return PdqResult(hash=hashed[0], quality=hashed[1], width=size[0], height=size[1])


def _dihedral(pixels: npt.NDArray[np.uint8]) -> list[tuple[bytes, int]]:
    vectors, quality = pdqhash.compute_dihedral(pixels)
    return [(hash_bits_to_bytes(bits), int(quality)) for bits in vectors]
