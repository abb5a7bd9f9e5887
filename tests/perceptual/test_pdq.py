"""PDQ hashing of image files on generated images (the reference images are in test_pdq_conformance)."""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pdqhash
import pytest
from PIL import Image

from vigilant.errors import NotFoundError
from vigilant.hashing.digests import PDQ
from vigilant.perceptual import (
    DIHEDRAL_ORDER,
    PDQ_MIN_QUALITY,
    ImageDecodeError,
    pdq_dihedral,
    pdq_dihedral_of_pil,
    pdq_of_image,
    pdq_of_pil,
)
from vigilant.perceptual.pdq import PdqMethod, hash_bits_to_bytes

MATCH_THRESHOLD = 31


def photo(width: int, height: int, seed: int = 0) -> Image.Image:
    """A photo-like RGB image: smooth colour fields, a few shapes with edges, mild noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    x, y = x / width, y / height
    channels = [
        128 + 90 * np.sin(6 * x + rng.uniform(0, 6)) * np.cos(4 * y + rng.uniform(0, 6)),
        128 + 90 * np.cos(5 * x * y + rng.uniform(0, 6)),
        128 + 90 * np.sin(3 * (x + y) + rng.uniform(0, 6)),
    ]
    pixels = np.stack(channels, axis=2)
    for _ in range(6):
        cx, cy, radius = rng.uniform(0, 1), rng.uniform(0, 1), rng.uniform(0.05, 0.25)
        pixels[(x - cx) ** 2 + (y - cy) ** 2 < radius**2] = rng.uniform(0, 255, 3)
    pixels += rng.normal(0, 4, pixels.shape)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def reference_hash(image: Image.Image) -> bytes:
    """pdqhash on the full RGB pixels, no draft, no downscale."""
    bits, _quality = pdqhash.compute(np.asarray(image.convert("RGB")))
    return np.packbits(bits.astype(np.uint8)).tobytes()


def saved(image: Image.Image, path: Path, **options: Any) -> Path:
    image.save(path, **options)
    return path


def test_result_fields(tmp_path: Path) -> None:
    path = saved(photo(640, 480), tmp_path / "photo.jpg", quality=92)
    result = pdq_of_image(path)
    assert len(result.hash) == 32
    assert result.hex == result.hash.hex()
    assert (result.width, result.height) == (640, 480)  # the stored size, not the drafted one
    assert 0 <= result.quality <= 100
    assert result.usable


def test_small_images_hash_exactly_like_pdqhash(tmp_path: Path) -> None:
    image = photo(400, 300, seed=1)
    path = saved(image, tmp_path / "photo.png")
    assert pdq_of_image(path).hash == reference_hash(image)


def test_path_file_object_and_pil_image_agree(tmp_path: Path) -> None:
    path = saved(photo(1200, 900, seed=2), tmp_path / "photo.jpg", quality=90)
    by_path = pdq_of_image(path)
    with path.open("rb") as fh:
        assert pdq_of_image(fh) == by_path
    assert pdq_of_image(str(path)) == by_path
    assert pdq_of_image(io.BytesIO(path.read_bytes())) == by_path
    with Image.open(path) as im:
        assert pdq_of_pil(im, draft=True) == by_path  # same draft scale as the file path
    with Image.open(path) as im:
        im.load()
        undrafted = pdq_of_pil(im)
    assert (undrafted.width, undrafted.height) == (1200, 900)
    assert PDQ.distance(undrafted.hash, by_path.hash) <= 16


@pytest.mark.parametrize(
    "size", [(2048, 1536), (1024, 768), (600, 400), (333, 777), (64, 64), (65, 63), (30, 20), (5, 5), (4, 9)]
)
@pytest.mark.parametrize("mode", ["RGB", "L", "RGBA", "P"])
def test_the_full_picture_method_is_pdqhash_on_every_pixel_bit_for_bit(
    size: tuple[int, int], mode: str
) -> None:
    """The full-picture method computes PDQ's downsampling its own (faster) way: it must be pdqhash's."""
    image = photo(*size, seed=size[0]).convert(mode)
    rgb = np.asarray(image.convert("RGB"))
    bits, quality = pdqhash.compute(rgb)
    vectors, _ = pdqhash.compute_dihedral(rgb)
    result = pdq_of_pil(image, method=PdqMethod.FULL)
    assert (result.hash, result.quality, result.method) == (hash_bits_to_bytes(bits), quality, PdqMethod.FULL)
    dihedral = pdq_dihedral_of_pil(image, method=PdqMethod.FULL)
    assert dihedral == [(hash_bits_to_bytes(v), quality) for v in vectors]


def test_the_full_picture_method_never_drafts_a_jpeg(tmp_path: Path) -> None:
    image = photo(2048, 1536, seed=5)
    path = saved(image, tmp_path / "large.jpg", quality=92)
    with Image.open(path) as decoded:
        full = reference_hash(decoded)
    assert pdq_of_image(path, PdqMethod.FULL).hash == full
    with Image.open(path) as im:
        assert pdq_of_pil(im, draft=True, method=PdqMethod.FULL).hash == full
    assert pdq_dihedral(path, PdqMethod.FULL)[0] == (full, pdq_of_image(path, PdqMethod.FULL).quality)


def test_large_jpeg_draft_and_downscale_stay_close_to_full_decode(tmp_path: Path) -> None:
    image = photo(2048, 1536, seed=3)
    path = saved(image, tmp_path / "large.jpg", quality=92)
    with Image.open(path) as decoded:
        full = reference_hash(decoded)
    assert PDQ.distance(pdq_of_image(path).hash, full) <= 16


def test_exif_orientation_is_not_applied(tmp_path: Path) -> None:
    image = photo(640, 480, seed=4)
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 clockwise to display"
    plain = pdq_of_image(saved(image, tmp_path / "plain.jpg", quality=95))
    tagged = pdq_of_image(saved(image, tmp_path / "tagged.jpg", quality=95, exif=exif))
    assert tagged.hash == plain.hash  # PDQ hashes the stored pixels
    assert (tagged.width, tagged.height) == (640, 480)
    rotated = pdq_of_pil(image.transpose(Image.Transpose.ROTATE_270))
    assert PDQ.distance(tagged.hash, rotated.hash) > MATCH_THRESHOLD


@pytest.mark.parametrize(
    "mode", ["1", "CMYK", "F", "HSV", "I", "L", "LA", "La", "LAB", "P", "PA", "RGB", "RGBA", "RGBX", "YCbCr"]
)
def test_every_pillow_mode_hashes_near_the_rgb_image(mode: str) -> None:
    image = photo(600, 450, seed=5)
    converted = image.convert("LA").convert("La") if mode == "La" else image.convert(mode)
    assert PDQ.distance(pdq_of_pil(converted).hash, pdq_of_pil(image).hash) <= MATCH_THRESHOLD


def grey(seed: int) -> npt.NDArray[np.float64]:
    return np.asarray(photo(300, 200, seed).convert("L"), np.float64)


@pytest.mark.parametrize(
    ("label", "make"),
    [
        ("16-bit values in I", lambda g: Image.fromarray((g * 257).astype(np.int32))),
        ("negative values in I", lambda g: Image.fromarray(((g - 128) * 1000).astype(np.int32))),
        ("I;16", lambda g: Image.fromarray((g * 257).astype(np.uint16))),
        ("floats 0..1 in F", lambda g: Image.fromarray((g / 255).astype(np.float32))),
        ("floats -1e6..1e6 in F", lambda g: Image.fromarray(((g - 128) * 8000).astype(np.float32))),
    ],
)
def test_wide_value_ranges_are_stretched_not_clipped(
    label: str, make: Callable[[npt.NDArray[np.float64]], Image.Image]
) -> None:
    values = grey(6)
    reference = pdq_of_pil(Image.fromarray(values.astype(np.uint8)))
    result = pdq_of_pil(make(values))
    assert PDQ.distance(result.hash, reference.hash) <= 8, label
    # Clipping to 0..255 would leave a nearly flat image: quality would collapse.
    assert result.quality >= PDQ_MIN_QUALITY, label


def test_float_images_with_nan_infinities_or_one_value_hash() -> None:
    values = grey(7).astype(np.float32)
    values[:10, :10] = np.nan
    values[-5:, -5:] = np.inf
    assert len(pdq_of_pil(Image.fromarray(values)).hash) == 32
    flat = pdq_of_pil(Image.fromarray(np.full((50, 60), 3.5, np.float32)))
    assert not flat.usable
    assert len(pdq_of_pil(Image.fromarray(np.full((50, 60), np.nan, np.float32))).hash) == 32


def test_flat_images_are_not_usable(tmp_path: Path) -> None:
    result = pdq_of_image(saved(Image.new("RGB", (300, 200), (120, 130, 140)), tmp_path / "flat.png"))
    assert result.quality < PDQ_MIN_QUALITY
    assert not result.usable


def test_dihedral_hashes_find_rotations_and_flips() -> None:
    image = photo(500, 400, seed=8)
    original = pdq_of_pil(image).hash
    transforms = [
        Image.Transpose.ROTATE_90,
        Image.Transpose.ROTATE_180,
        Image.Transpose.ROTATE_270,
        Image.Transpose.FLIP_LEFT_RIGHT,
        Image.Transpose.FLIP_TOP_BOTTOM,
        Image.Transpose.TRANSPOSE,
        Image.Transpose.TRANSVERSE,
    ]
    for transform in transforms:
        changed = image.transpose(transform)
        assert PDQ.distance(pdq_of_pil(changed).hash, original) > MATCH_THRESHOLD
        hashes = pdq_dihedral_of_pil(changed)
        assert len(hashes) == len(DIHEDRAL_ORDER)
        assert min(PDQ.distance(h, original) for h, _ in hashes) <= MATCH_THRESHOLD, transform


def test_dihedral_of_a_file(tmp_path: Path) -> None:
    path = saved(photo(800, 600, seed=9), tmp_path / "photo.jpg")
    hashes = pdq_dihedral(path)
    assert hashes[0] == (pdq_of_image(path).hash, pdq_of_image(path).quality)
    assert len({h for h, _ in hashes}) == 8


def test_missing_file_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match=r"missing\.jpg"):
        pdq_of_image(tmp_path / "missing.jpg")


def test_garbage_is_refused_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "not-an-image.jpg"
    path.write_bytes(np.random.default_rng(0).integers(0, 256, 5000, dtype=np.uint8).tobytes())
    with pytest.raises(ImageDecodeError, match=r"not-an-image\.jpg"):
        pdq_of_image(path)
    with pytest.raises(ImageDecodeError, match=r"not-an-image\.jpg"):
        pdq_dihedral(path)


def test_truncated_jpeg_is_refused(tmp_path: Path) -> None:
    whole = saved(photo(800, 600, seed=10), tmp_path / "whole.jpg", quality=90).read_bytes()
    path = tmp_path / "truncated.jpg"
    path.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(ImageDecodeError, match=r"truncated\.jpg"):
        pdq_of_image(path)


def png_header_only(path: Path, width: int, height: int) -> Path:
    """A PNG that claims ``width`` x ``height`` pixels in a few dozen bytes: a decompression bomb's header."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b""))
        + chunk(b"IEND", b"")
    )
    return path


def test_decompression_bomb_is_refused(tmp_path: Path) -> None:
    path = png_header_only(tmp_path / "bomb.png", 40_000, 40_000)
    with pytest.raises(ImageDecodeError, match=r"refused .*bomb\.png"):
        pdq_of_image(path)


def test_damaged_image_opened_by_the_caller_is_refused() -> None:
    # Pillow reads only the header on open; the damage shows when pdq_of_pil decodes the pixels.
    buffer = io.BytesIO()
    photo(64, 48).save(buffer, format="PNG")
    data = buffer.getvalue()
    cut = data.index(b"IDAT") + 20
    with (
        Image.open(io.BytesIO(data[:cut])) as damaged,
        pytest.raises(ImageDecodeError, match="cannot decode"),
    ):
        pdq_of_pil(damaged)
