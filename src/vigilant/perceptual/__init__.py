"""Perceptual hashes of pictures (PDQ) and videos (vPDQ), and the decoding they need.

Named for what it holds: disk images are :mod:`vigilant.evidence.images`.
"""

from vigilant.perceptual.pdq import (
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
