"""The full-picture PDQ method's PNG decoder (libspng): same pixels and hashes as Pillow, or no say at all."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pdqhash
import pytest
from PIL import Image

from vigilant.perceptual import ImageDecodeError, pdq_dihedral, pdq_of_image, pdq_of_pil
from vigilant.perceptual.pdq import PdqMethod, hash_bits_to_bytes
from vigilant.perceptual.png_decode import png_pixels

from .test_pdq import photo

U8 = npt.NDArray[np.uint8]


def png_bytes(image: Image.Image, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", **options)
    return buffer.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


# Adam7's seven passes: first column, first row, column step, row step.
_ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2))


def interlaced_png(pixels: U8) -> bytes:
    """An Adam7-interlaced 8-bit RGB PNG of ``pixels`` (Pillow reads these but cannot write them)."""
    height, width = pixels.shape[:2]
    raw = bytearray()
    for x0, y0, dx, dy in _ADAM7:
        sub = pixels[y0::dy, x0::dx]
        if sub.size:
            for row in sub:
                raw += b"\x00" + row.tobytes()  # filter type 0 (none) on every row
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 1)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(bytes(raw)))
        + _chunk(b"IEND", b"")
    )


def pillow_hash(data: bytes) -> tuple[bytes, int]:
    """What python-threatexchange hashes: Pillow's full decode, as RGB, through pdqhash."""
    with Image.open(io.BytesIO(data)) as im:
        bits, quality = pdqhash.compute(np.asarray(im.convert("RGB")))
    return hash_bits_to_bytes(bits), int(quality)


def pillow_pixels(data: bytes) -> U8:
    with Image.open(io.BytesIO(data)) as im:
        return np.asarray(im)


@pytest.mark.parametrize("mode", ["L", "RGB", "RGBA"])
@pytest.mark.parametrize("size", [(600, 400), (333, 777), (7, 5)])
def test_still_8_bit_pngs_decode_to_pillows_pixels_and_hash(mode: str, size: tuple[int, int]) -> None:
    image = photo(*size, seed=size[1])
    if mode == "RGBA":
        image.putalpha(Image.fromarray(np.asarray(image)[:, :, 1]))  # alpha that varies, not flat
    data = png_bytes(image.convert(mode))
    with Image.open(io.BytesIO(data)) as im:
        pixels = png_pixels(im)
    assert pixels is not None
    assert np.array_equal(pixels, pillow_pixels(data))
    result = pdq_of_image(io.BytesIO(data), PdqMethod.FULL)
    assert (result.hash, result.quality) == pillow_hash(data)


def test_an_interlaced_png_decodes_to_pillows_pixels() -> None:
    data = interlaced_png(np.asarray(photo(301, 203, seed=4)))
    with Image.open(io.BytesIO(data)) as im:
        assert im.info.get("interlace")
        pixels = png_pixels(im)
    assert pixels is not None
    assert np.array_equal(pixels, pillow_pixels(data))
    assert pdq_of_image(io.BytesIO(data), PdqMethod.FULL).hash == pillow_hash(data)[0]


def test_path_file_object_and_opened_image_agree(tmp_path: Path) -> None:
    path = tmp_path / "photo.png"
    data = png_bytes(photo(640, 480, seed=6))
    path.write_bytes(data)
    expected = pillow_hash(data)
    assert (pdq_of_image(path, PdqMethod.FULL).hash, pdq_of_image(path, PdqMethod.FULL).quality) == expected
    with path.open("rb") as fh:
        assert pdq_of_image(fh, PdqMethod.FULL).hash == expected[0]
    with Image.open(io.BytesIO(data)) as im:  # as triage opens it, EXIF first
        im.getexif()
        assert pdq_of_pil(im, draft=True, method=PdqMethod.FULL).hash == expected[0]
    assert pdq_dihedral(path, PdqMethod.FULL)[0] == expected


def apng(frames: list[Image.Image], *, default_image: bool) -> bytes:
    buffer = io.BytesIO()
    first, *rest = frames
    first.save(buffer, format="PNG", save_all=True, append_images=rest, default_image=default_image)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(png_bytes(photo(64, 48).convert("P")), id="palette"),
        pytest.param(png_bytes(photo(64, 48).convert("1")), id="1-bit"),
        pytest.param(png_bytes(photo(64, 48).convert("I;16")), id="16-bit grey"),
        pytest.param(png_bytes(photo(64, 48).convert("LA")), id="grey + alpha"),
        pytest.param(apng([photo(64, 48, seed=1), photo(64, 48, seed=2)], default_image=False), id="APNG"),
        pytest.param(
            apng([photo(64, 48, seed=1), photo(64, 48, seed=2), photo(64, 48, seed=3)], default_image=True),
            id="APNG with a default image",
        ),
    ],
)
def test_pngs_whose_pixels_pillow_expands_or_selects_stay_with_pillow(data: bytes) -> None:
    with Image.open(io.BytesIO(data)) as im:
        assert png_pixels(im) is None
    with Image.open(io.BytesIO(data)) as im:
        expected = pdq_of_pil(im.convert("RGB"), method=PdqMethod.FULL)
    assert pdq_of_image(io.BytesIO(data), PdqMethod.FULL).hash == expected.hash


def test_a_picture_already_decoded_or_not_a_png_stays_with_pillow() -> None:
    data = png_bytes(photo(64, 48))
    with Image.open(io.BytesIO(data)) as im:
        im.load()
        assert png_pixels(im) is None
    jpeg = io.BytesIO()
    photo(64, 48).save(jpeg, format="JPEG")
    with Image.open(jpeg) as im:
        assert png_pixels(im) is None
    assert png_pixels(photo(64, 48)) is None


def test_a_wrong_checksum_after_whole_pixels_hashes_those_pixels(tmp_path: Path) -> None:
    """A wrong Adler-32 after a complete pixel stream: Pillow refuses the file, libspng reads every row;
    the hash is the undamaged file's."""
    intact = png_bytes(photo(96, 64, seed=8))
    data = bytearray(intact)
    start = data.index(b"IDAT") + 4
    length = struct.unpack(">I", data[start - 8 : start - 4])[0]
    data[start + length - 1] ^= 0xFF  # last byte of the Adler-32 of the pixel stream
    crc = zlib.crc32(data[start - 4 : start + length])
    data[start + length : start + length + 4] = struct.pack(">I", crc)
    path = tmp_path / "adler.png"
    path.write_bytes(bytes(data))
    with pytest.raises(ImageDecodeError, match=r"adler\.png"):
        pdq_of_image(path, PdqMethod.DOWNSCALED)  # Pillow's decode, as before
    full = pdq_of_image(path, PdqMethod.FULL)
    assert (full.hash, full.quality) == pillow_hash(intact)


def test_a_truncated_png_is_refused_naming_the_file(tmp_path: Path) -> None:
    data = png_bytes(photo(200, 150, seed=9))
    path = tmp_path / "truncated.png"
    path.write_bytes(data[: data.index(b"IDAT") + 400])
    with pytest.raises(ImageDecodeError, match=r"cannot decode .*truncated\.png"):
        pdq_of_image(path, PdqMethod.FULL)
