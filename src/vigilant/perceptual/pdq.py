"""PDQ perceptual hashes of image files, as Meta's reference computes them, fast enough for triage.

PDQ's producers do not all hash the same pixels, and a list's hashes are only comparable with hashes made the
same way, so every hash here is made by a :class:`PdqMethod`:

- ``512`` (:attr:`PdqMethod.DOWNSCALED`): decode with Pillow (a JPEG decodes at a reduced DCT scale —
  "draft" — when it is larger than needed), downscale so the longest side is at most :data:`PDQ_MAX_SIDE`
  pixels as Meta's C++ tool does, then :func:`pdqhash.compute`.
- ``full`` (:attr:`PdqMethod.FULL`): the whole decoded picture, as python-threatexchange and Meta's
  Hasher-Matcher-Actioner (HMA) hash it. On natural photos the two methods land up to ~20 bits apart: a byte
  copy of a picture on a ``full`` list, hashed at 512 px, spends half the match threshold before any real
  change. PDQ's first step is a tent filter (two passes of box filters, "Jarosz") of the whole luma plane,
  sampled at 64 x 64 points. Shrinking the picture first (Pillow ``reduce``, JPEG draft) moves the hash by 2
  to 40 bits, so it is no shortcut; instead :func:`_full_buffer` computes exactly those 64 x 64 samples as
  two banded weighted sums (each sample weighs a fixed ~H/64 rows and ~W/64 columns), without building the
  float luma plane or filtering it four times. The hash is pdqhash's bit for bit (tested), in about a tenth
  of pdqhash's time on a 1024 x 768 picture (bench/pdq_bench.py). The decode is then most of the cost: a
  still 8-bit PNG is decoded by libspng (:mod:`vigilant.perceptual.png_decode`), the same pixels as Pillow's
  in about half the time.

Either way any Pillow mode is first brought to 8-bit RGB or grey. Hashes are 32 raw bytes, bit 0 of the hash
in the most significant bit of the first byte — the same hex text as the reference tools and
python-threatexchange.

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
from enum import StrEnum
from functools import lru_cache
from typing import IO, Final, TypeVar

import numpy as np
import numpy.typing as npt
import pdqhash
from PIL import Image, UnidentifiedImageError

from vigilant.errors import BadInputError, NotFoundError
from vigilant.hashing.digests import PDQ
from vigilant.perceptual.png_decode import png_pixels

PDQ_MIN_QUALITY: Final = 50
"""Below this quality a hash is not usable for matching (flat or nearly flat images all look alike)."""

PDQ_MAX_SIDE: Final = 512
"""The ``512`` method downscales images so their longest side is at most this many pixels before hashing."""


class PdqMethod(StrEnum):
    """Which pixels a PDQ hash was made from (see the module): hashes compare only within one method."""

    FULL = "full"  # the whole decoded picture: python-threatexchange, Meta's HMA
    DOWNSCALED = "512"  # longest side first brought to PDQ_MAX_SIDE: Meta's C++ tool, Vigilant before 2026-12

    @property
    def label(self) -> str:
        return "full picture" if self is PdqMethod.FULL else f"picture at {PDQ_MAX_SIDE} px"


PDQ_IMPORT_METHOD: Final = PdqMethod.FULL
"""What an imported list's PDQ hashes are taken to be made by when the import does not say."""

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
    """The PDQ hash of one image, its quality (0..100), the stored image's size in pixels, and the method."""

    hash: bytes
    quality: int
    width: int
    height: int
    method: PdqMethod = PdqMethod.DOWNSCALED

    @property
    def hex(self) -> str:
        return PDQ.format(self.hash)

    @property
    def usable(self) -> bool:
        """True when the hash is good enough to match on (quality >= :data:`PDQ_MIN_QUALITY`)."""
        return self.quality >= PDQ_MIN_QUALITY


def pdq_of_image(source: ImageSource, method: PdqMethod = PdqMethod.DOWNSCALED) -> PdqResult:
    """PDQ hash of an image file (a path or a binary file object), made by ``method``.

    Raises :class:`ImageDecodeError` naming the file when it is not a decodable image, and
    :class:`~vigilant.errors.NotFoundError` when a path does not exist.
    """
    return _with_image(source, method, lambda pixels, size: _result(_hash(pixels, method), size, method))


def pdq_dihedral(source: ImageSource, method: PdqMethod = PdqMethod.DOWNSCALED) -> list[tuple[bytes, int]]:
    """The eight dihedral PDQ hashes (rotations and flips, see :data:`DIHEDRAL_ORDER`) with the quality.

    Look up all eight against a library to find rotated or mirrored copies of a known image.
    """
    return _with_image(source, method, lambda pixels, _size: _dihedral(pixels, method))


def pdq_of_pil(
    image: Image.Image, *, draft: bool = False, method: PdqMethod = PdqMethod.DOWNSCALED
) -> PdqResult:
    """PDQ hash of an image already opened with Pillow (e.g. by code that also reads its EXIF).

    With ``draft=True`` a JPEG that is not loaded yet decodes at a reduced scale for the ``512`` method,
    which is faster but changes ``image.size`` in place: pass it only for an image that is yours (the
    ``full`` method never drafts). ``width``/``height`` in the result are the stored size either way.
    """
    name = _describe(image)
    size = image.size
    with _decode_errors(name):
        if draft and method is PdqMethod.DOWNSCALED:
            _draft(image)
        return _result(_hash(_prepare(image, name, method), method), size, method)


def pdq_dihedral_of_pil(
    image: Image.Image, *, draft: bool = False, method: PdqMethod = PdqMethod.DOWNSCALED
) -> list[tuple[bytes, int]]:
    """:func:`pdq_dihedral` for an image already opened with Pillow (``draft`` as in :func:`pdq_of_pil`)."""
    name = _describe(image)
    with _decode_errors(name):
        if draft and method is PdqMethod.DOWNSCALED:
            _draft(image)
        return _dihedral(_prepare(image, name, method), method)


def hash_bits_to_bytes(bits: npt.NDArray[np.integer]) -> bytes:
    """pdqhash's 256 0/1 values -> 32 bytes, first bit most significant (the reference's hex order)."""
    return np.packbits(bits.astype(np.uint8, copy=False)).tobytes()


# --- internals ------------------------------------------------------------------------------------------


def _with_image(
    source: ImageSource,
    method: PdqMethod,
    work: Callable[[npt.NDArray[np.uint8], tuple[int, int]], _T],
) -> _T:
    name = _source_name(source)
    with _decode_errors(name), Image.open(source) as im:
        size = im.size
        if method is PdqMethod.DOWNSCALED:
            _draft(im)
        return work(_prepare(im, name, method), size)


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


def _prepare(im: Image.Image, name: str, method: PdqMethod) -> npt.NDArray[np.uint8]:
    """Decode ``im`` to an (H, W, 3) uint8 array (a grey image is a read-only view repeating one band);
    for the ``full`` method a grey image stays (H, W), and a still 8-bit PNG, decoded by libspng, keeps its
    channels as stored (RGB + alpha: the hash reads the first three only)."""
    if method is PdqMethod.FULL:
        pixels = png_pixels(im)
        if pixels is not None:
            return pixels
    im = _canonical_mode(im, name)
    if method is PdqMethod.FULL:
        return _to_uint8(im)
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


def _hash(pixels: npt.NDArray[np.uint8], method: PdqMethod) -> tuple[bytes, int]:
    if method is PdqMethod.FULL:
        return _full_hashes(pixels, dihedral=False)[0]
    bits, quality = pdqhash.compute(pixels)
    return hash_bits_to_bytes(bits), int(quality)


def _result(hashed: tuple[bytes, int], size: tuple[int, int], method: PdqMethod) -> PdqResult:
    return PdqResult(hash=hashed[0], quality=hashed[1], width=size[0], height=size[1], method=method)


def _dihedral(pixels: npt.NDArray[np.uint8], method: PdqMethod) -> list[tuple[bytes, int]]:
    if method is PdqMethod.FULL:
        return _full_hashes(pixels, dihedral=True)
    vectors, quality = pdqhash.compute_dihedral(pixels)
    return [(hash_bits_to_bytes(bits), int(quality)) for bits in vectors]


# --- the full-picture method: PDQ's downsampling as two banded weighted sums ---------------------------

_SIDE: Final = 64  # PDQ samples the filtered luma plane at 64 x 64 points
_MIN_SIDE: Final = 5  # pdqhash's smallest hashable side: below it the hash is all zeros, quality 0
_LUMA: Final = (0.299, 0.587, 0.114)
F32Array = npt.NDArray[np.float32]
# PDQ's DCT: rows 1..16 of the 64-point DCT-II, float32 as the reference keeps them.
_DCT: Final = (
    np.sqrt(2.0 / _SIDE)
    * np.cos(
        (np.pi / 2 / _SIDE) * np.arange(1, 17)[:, np.newaxis] * (2 * np.arange(_SIDE)[np.newaxis, :] + 1)
    )
).astype(np.float32)
_ODD_ROW = (np.arange(16)[:, np.newaxis] % 2 == 1) & np.ones((1, 16), bool)
_ODD_COL = _ODD_ROW.T
_ODD_SUM = _ODD_ROW ^ _ODD_COL


Band = tuple[int, int, F32Array]  # start, stop, the weights of pixels start..stop-1


@lru_cache(maxsize=128)  # a band keeps ~2 floats a pixel of the axis: 128 sizes of 8,000 px, ~8 MB
def _tent(length: int) -> tuple[Band, ...]:
    """How PDQ brings one axis of ``length`` pixels to 64 samples, as weights.

    PDQ filters each axis twice with a box of ``w = ceil(length / 128)`` pixels (clipped and renormalised at
    the edges: pixel p averages p - (w - h) .. p + h - 1 where h = (w + 2) // 2), then keeps the pixel at
    int((k + 0.5) * length / 64) for sample k. Both steps are linear, so sample k is a fixed weighted sum of
    the pixels start..stop-1 of its band (the only nonzero weights).
    """
    window = (length + 2 * _SIDE - 1) // (2 * _SIDE)
    half = (window + 2) // 2
    pixel = np.arange(length)
    low = np.maximum(pixel - (window - half), 0)
    high = np.minimum(pixel + half - 1, length - 1)
    count = (high - low + 1).astype(np.float64)
    kept = ((np.arange(_SIDE) + 0.5) * length / _SIDE).astype(np.int64)
    # The second box at sample s averages the first box's outputs m in s's window; each such m spreads
    # 1/count[s]/count[m] evenly over its own window: added as +share at low[m] and -share after high[m].
    middle = low[kept][:, np.newaxis] + np.arange(window)[np.newaxis, :]
    inside = middle <= high[kept][:, np.newaxis]
    middle = np.minimum(middle, length - 1)
    share = np.where(inside, 1.0 / count[kept][:, np.newaxis] / count[middle], 0.0)
    sample = np.broadcast_to(np.arange(_SIDE)[:, np.newaxis], middle.shape)
    width = length + 1
    steps = np.bincount(
        np.concatenate([(sample * width + low[middle]).ravel(), (sample * width + high[middle] + 1).ravel()]),
        weights=np.concatenate([share.ravel(), -share.ravel()]),
        minlength=_SIDE * width,
    ).reshape(_SIDE, width)
    weights = np.cumsum(steps, axis=1)[:, :length].astype(np.float32)
    starts, stops = low[low[kept]], high[high[kept]] + 1
    return tuple(
        (int(a), int(b), np.ascontiguousarray(weights[k, a:b]))
        for k, (a, b) in enumerate(zip(starts, stops, strict=True))
    )


def _full_buffer(pixels: npt.NDArray[np.uint8]) -> F32Array:
    """PDQ's 64 x 64 downsample of the luma of an (H, W), (H, W, 3) or (H, W, 4) picture, no luma plane.

    Rows first: each sample row is a weighted sum of ~H/64 picture rows, all channels at once (einsum, not
    BLAS: OpenBLAS would start threads for these small products, which costs more than it saves in worker
    processes on shared cores); then luma, then columns the same way on the 64-row result.
    """
    height, width = pixels.shape[:2]
    rows, columns = _tent(height), _tent(width)
    flat = pixels.reshape(height, -1)
    across = np.empty((_SIDE, flat.shape[1]), np.float32)
    for k, (start, stop, weights) in enumerate(rows):
        across[k] = np.einsum("i,ij->j", weights, flat[start:stop].astype(np.float32))
    channels = 1 if pixels.ndim == 2 else pixels.shape[2]
    shaped = across.reshape(_SIDE, width, channels)
    if channels >= 3:  # RGB, or RGBA whose alpha is dropped, as Pillow's conversion to RGB drops it
        luma = shaped[:, :, 0] * _LUMA[0] + shaped[:, :, 1] * _LUMA[1] + shaped[:, :, 2] * _LUMA[2]
    else:  # grey: pdqhash sees a grey picture as three equal channels
        luma = shaped[:, :, 0] * sum(_LUMA)
    out = np.empty((_SIDE, _SIDE), np.float32)
    for k, (start, stop, weights) in enumerate(columns):
        out[:, k] = np.einsum("ij,j->i", luma[:, start:stop], weights)
    return out


def _quality(buffer: F32Array) -> int:
    """PDQ's quality: the sum of the 64 x 64 buffer's significant gradients, truncated as the reference."""
    total = 0
    for step in (buffer[:-1] - buffer[1:], buffer[:, :-1] - buffer[:, 1:]):
        total += int(np.abs(np.trunc(step * np.float32(100) / np.float32(255))).sum())
    return min(100, total // 90)


def _bits(dct: npt.NDArray[np.float32]) -> bytes:
    """Bit k = 16 i + j set where coefficient (i, j) is above the median (the 128th smallest), packed as
    pdqhash's bits are: bit 255 first."""
    values = dct.reshape(256)
    median = np.partition(values, 127)[127]
    return np.packbits((values > median)[::-1]).tobytes()


def _full_hashes(pixels: npt.NDArray[np.uint8], *, dihedral: bool) -> list[tuple[bytes, int]]:
    """The full-picture hash (with ``dihedral``, the eight of :data:`DIHEDRAL_ORDER`) and the quality."""
    if min(pixels.shape[:2]) < _MIN_SIDE:
        return [(bytes(32), 0)] * (8 if dihedral else 1)
    buffer = _full_buffer(pixels)
    quality = _quality(buffer)
    dct = (_DCT @ buffer) @ _DCT.T
    if not dihedral:
        return [(_bits(dct), quality)]
    # PDQ's dihedral transforms act on the DCT directly: sign changes of odd rows/columns and transposes.
    transforms = (
        dct,
        np.where(_ODD_COL, dct, -dct).T,  # rotate 90
        np.where(_ODD_SUM, -dct, dct),  # rotate 180
        np.where(_ODD_ROW, dct, -dct).T,  # rotate 270
        np.where(_ODD_ROW, dct, -dct),  # flip x
        np.where(_ODD_COL, dct, -dct),  # flip y
        dct.T,  # flip +1
        np.where(_ODD_SUM, -dct, dct).T,  # flip -1
    )
    return [(_bits(np.ascontiguousarray(t)), quality) for t in transforms]
