"""Image decoding and perceptual hashing (PDQ)."""

from vigilant.imaging.pdq import (
    DIHEDRAL_ORDER,
    PDQ_MAX_SIDE,
    PDQ_MIN_QUALITY,
    ImageDecodeError,
    PdqResult,
    pdq_dihedral,
    pdq_dihedral_of_pil,
    pdq_of_image,
    pdq_of_pil,
)

__all__ = [
    "DIHEDRAL_ORDER",
    "PDQ_MAX_SIDE",
    "PDQ_MIN_QUALITY",
    "ImageDecodeError",
    "PdqResult",
    "pdq_dihedral",
    "pdq_dihedral_of_pil",
    "pdq_of_image",
    "pdq_of_pil",
]
