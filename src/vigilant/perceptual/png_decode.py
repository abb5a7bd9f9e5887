"""Decode a still 8-bit PNG with libspng (pyspng) instead of Pillow, for the full-picture PDQ method.

On a 600 x 400 photo Pillow spends ~7 ms decoding and the full-picture hash itself under 1 ms, so the decode
is the cost; libspng inflates and unfilters the same pixels in about half the time (bench/pdq_bench.py).
PNG is lossless, so both decoders give the same bytes: only the cases where Pillow's pixels are the file's
samples as they are go this way (8-bit grey, RGB, RGB + alpha, one frame). Palette images, other bit depths
and animated PNGs, whose pixels Pillow expands or selects in its own ways, stay with Pillow, and so do grey +
alpha (which libspng 0.7 does not output as stored) and any file libspng refuses: Pillow then decodes it, or
raises its own error, exactly as before.

The image must have been opened by Pillow first: that read its header, refused a decompression bomb and
checked the CRCs of the chunks before the pixels (pyspng tells libspng to ignore CRCs; Pillow does not check
the pixel data's either). One difference: libspng stops at the last row and does not check the zlib stream's
own checksum (Adler-32) after it, where Pillow refuses the file; such a picture, every row intact, is then
hashed (as the undamaged file would be) instead of refused.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt
import pyspng
from PIL import Image, PngImagePlugin

# Pillow's modes of 8-bit PNGs whose raw mode is the mode itself: samples as stored (PngImagePlugin._MODES).
_SAMPLE_MODES: Final = frozenset({"L", "RGB", "RGBA"})


def png_pixels(im: Image.Image) -> npt.NDArray[np.uint8] | None:
    """The pixels of ``im`` as an (H, W), (H, W, 3) or (H, W, 4) uint8 array, decoded by libspng; None where
    Pillow must decode it (not a PNG, not a still 8-bit grey or RGB one, already decoded, or refused).

    The channels are the file's: alpha is still there (the caller drops it, as Pillow's conversion would).
    """
    if not isinstance(im, PngImagePlugin.PngImageFile) or im.fp is None or not _still_samples(im):
        return None
    im.fp.seek(0)  # Pillow opens every file from its first byte
    data = im.fp.read()
    try:
        pixels: npt.NDArray[np.generic] = pyspng.load(data)
    except RuntimeError:  # pyspng's only error: let Pillow decode or refuse the file as it always has
        return None
    if pixels.dtype != np.uint8 or pixels.shape[:2] != (im.height, im.width):
        return None
    return pixels.astype(np.uint8, copy=False)


def _still_samples(im: PngImagePlugin.PngImageFile) -> bool:
    if len(im.tile) != 1 or im.n_frames != 1 or im.custom_mimetype is not None:
        return False  # decoded already, or an APNG (whose first frame may not be the default image)
    rawmode = im.tile[0].args
    return im.mode in _SAMPLE_MODES and rawmode == im.mode and im.tile[0].extents == (0, 0, *im.size)
