"""Facts from a picture's bytes: PDQ hash and quality, and the EXIF an investigator follows up.

The PDQ hash is made by each method the run's library sets were hashed by (see
:class:`~vigilant.perceptual.pdq.PdqMethod`):
usually one; both where the sets differ, the full picture's first.

Runs in worker processes (decoding holds the GIL), so it takes and returns plain values.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from PIL import Image, UnidentifiedImageError

from vigilant.errors import VigilantError
from vigilant.perceptual.pdq import PDQ_MIN_QUALITY, PdqMethod, PdqResult, pdq_of_pil

_EXIF_IFD = 0x8769
_GPS_IFD = 0x8825
_MAKE, _MODEL = 0x010F, 0x0110
_BODY_SERIAL = 0xA431  # BodySerialNumber, in the EXIF IFD
_DATETIME_ORIGINAL = 0x9003


@dataclass(frozen=True)
class ImageFacts:
    pdq: bytes | None = None
    pdq_quality: int | None = None
    pdq_note: str | None = None
    pdq_method: str | None = None  # how ``pdq`` was made (a PdqMethod value)
    pdq_second: bytes | None = None  # the hash by the other method, where the run needs both
    pdq_second_quality: int | None = None
    make: str | None = None
    model: str | None = None
    serial: str | None = None
    datetime_original: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    error: str | None = None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    text = str(value).strip("\x00 ").strip()
    return text or None


def _degrees(value: Any, ref: Any) -> float | None:
    try:
        d, m, s = (float(v) for v in value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    result = d + m / 60 + s / 3600
    return -result if _text(ref) in ("S", "W") else result


def _exif(image: Image.Image) -> dict[str, Any]:
    exif = image.getexif()
    if not exif:
        return {}
    sub = exif.get_ifd(_EXIF_IFD)
    gps = exif.get_ifd(_GPS_IFD)
    facts: dict[str, Any] = {
        "make": _text(exif.get(_MAKE)),
        "model": _text(exif.get(_MODEL)),
        "serial": _text(sub.get(_BODY_SERIAL)),
        "datetime_original": _text(sub.get(_DATETIME_ORIGINAL)),
    }
    if gps:
        facts["latitude"] = _degrees(gps.get(2), gps.get(1))
        facts["longitude"] = _degrees(gps.get(4), gps.get(3))
    return facts


def image_facts(
    data: bytes, want_pdq: bool = True, methods: tuple[str, ...] = (PdqMethod.FULL.value,)
) -> ImageFacts:
    """PDQ (by each of ``methods``, one or two) and EXIF of an encoded picture; a picture that does not
    decode gives the reason, never raises."""
    results: list[PdqResult] = []
    try:
        with Image.open(io.BytesIO(data)) as image:
            exif = _exif(image)
            if not want_pdq:
                return ImageFacts(**exif)
            results.append(pdq_of_pil(image, draft=True, method=PdqMethod(methods[0])))
        for method in methods[1:]:
            # Each method decodes in its own way (512: a JPEG at a reduced DCT scale), as when it is alone.
            with Image.open(io.BytesIO(data)) as image:
                results.append(pdq_of_pil(image, draft=True, method=PdqMethod(method)))
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        return ImageFacts(error=f"image does not decode: {exc}")
    except VigilantError as exc:
        return ImageFacts(error=str(exc))
    result = results[0]
    note = None if result.quality >= PDQ_MIN_QUALITY else f"PDQ quality {result.quality} < {PDQ_MIN_QUALITY}"
    second = results[1] if len(results) > 1 else None
    return ImageFacts(
        pdq=result.hash,
        pdq_quality=result.quality,
        pdq_note=note,
        pdq_method=result.method.value,
        pdq_second=None if second is None else second.hash,
        pdq_second_quality=None if second is None else second.quality,
        **exif,
    )
